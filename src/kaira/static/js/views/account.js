// Sign up and log in. Refusals appear beside the field they concern (a taken email, a short password),
// or under the button for the form as a whole (a wrong password, too many attempts).

import { ApiError, logIn, sendJson } from "../api.js";
import { field, h, say, showFieldErrors, statusLine } from "../dom.js";

function input(type, attributes = {}) {
  return h("input", { type, required: true, ...attributes });
}

function submitting(form, status, work) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    showFieldErrors(form, {});
    say(status, "Working…");
    try {
      await work(new FormData(form));
    } catch (error) {
      const fields = error instanceof ApiError ? error.fields : {};
      const placed = showFieldErrors(form, fields);
      say(status, placed && error.status === 422 ? "Please correct the fields marked above." : error.message, { error: true });
      if (!placed) status.focus();
    } finally {
      button.disabled = false;
    }
  });
}

export function login(ctx, next, reason) {
  const form = h(
    "form",
    { id: "login", class: "stack", novalidate: true },
    field("login", { label: "Username or email", name: "username", control: input("text", { autocomplete: "username" }) }),
    field("login", { label: "Password", name: "password", control: input("password", { autocomplete: "current-password" }) }),
    h("button", { type: "submit" }, "Log in"),
  );
  const status = statusLine("login-status");
  status.tabIndex = -1;
  form.append(status);
  submitting(form, status, async (data) => {
    await logIn(String(data.get("username")), String(data.get("password")));
    ctx.navigate(next && next.startsWith("#/") ? next : "#/me");
  });
  const notice = reason ? h("p", { class: "notice", role: "alert" }, reason) : null;
  ctx.show("Log in", notice, form, h("p", {}, "New here? ", h("a", { href: "#/signup" }, "Sign up")));
}

export function signup(ctx) {
  const form = h(
    "form",
    { id: "signup", class: "stack", novalidate: true },
    field("signup", {
      label: "Username",
      name: "username",
      hint: "3–50 letters, digits, _ . or -",
      control: input("text", { autocomplete: "username" }),
    }),
    field("signup", { label: "Email", name: "email", control: input("email", { autocomplete: "email" }) }),
    field("signup", {
      label: "Full name (optional)",
      name: "full_name",
      control: h("input", { type: "text", autocomplete: "name" }),
    }),
    field("signup", {
      label: "Password",
      name: "password",
      hint: "8–128 characters",
      control: input("password", { autocomplete: "new-password" }),
    }),
    h("button", { type: "submit" }, "Sign up"),
  );
  const status = statusLine("signup-status");
  status.tabIndex = -1;
  form.append(status);
  submitting(form, status, async (data) => {
    const account = {
      username: String(data.get("username")).trim(),
      email: String(data.get("email")).trim(),
      password: String(data.get("password")),
    };
    const fullName = String(data.get("full_name")).trim();
    if (fullName) account.full_name = fullName;
    await sendJson("api/users/", { method: "POST", json: account });
    await logIn(account.username, account.password);
    ctx.flash(`Welcome, ${account.username}! Your account is ready.`);
    ctx.navigate("#/me");
  });
  ctx.show("Sign up", form, h("p", {}, "Have an account? ", h("a", { href: "#/login" }, "Log in")));
}
