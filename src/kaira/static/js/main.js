// The page: a hash router (`#/posts/42` is a shareable address and the back button works), the header's
// account links and search box, and the context each view gets to show itself.

import { logOut } from "./api.js";
import { h } from "./dom.js";
import { session } from "./session.js";
import { login, signup } from "./views/account.js";
import * as posts from "./views/posts.js";

const main = document.getElementById("main");
const flashLine = document.getElementById("flash");
const searchInput = document.getElementById("search-input");
let shown = 0; // which render may still show itself: a slow answer never replaces a newer screen
let flashText = "";

const ROUTES = [
  [/^\/$/, (ctx) => posts.home(ctx)],
  [/^\/tags\/([^/]+)$/, (ctx, [tag]) => posts.tagged(ctx, tag)],
  [/^\/search$/, (ctx, _, query) => posts.search(ctx, query.get("q") ?? "")],
  [/^\/authors\/(\d+)$/, (ctx, [id]) => posts.author(ctx, Number(id))],
  [/^\/posts\/(\d+)$/, (ctx, [id]) => posts.post(ctx, Number(id))],
  [/^\/posts\/(\d+)\/edit$/, (ctx, [id]) => editor(ctx, Number(id))],
  [/^\/write$/, (ctx) => editor(ctx, null)],
  [/^\/me$/, (ctx) => posts.mine(ctx)],
  [/^\/login$/, (ctx, _, query) => login(ctx, query.get("next"), query.get("reason"))],
  [/^\/signup$/, (ctx) => signup(ctx)],
];

/** Writing needs the Markdown and HTML libraries; readers' first screen does not wait for them. */
async function editor(ctx, postId) {
  const { editor: write } = await import("./views/editor.js");
  return write(ctx, postId);
}

function context(number, hash) {
  return {
    show(heading, ...nodes) {
      if (number !== shown) return;
      const title = typeof heading === "string" ? h("h1", {}, heading) : heading;
      title.tabIndex = -1;
      main.replaceChildren(title, ...nodes.filter(Boolean));
      document.title = `${title.textContent} · Kaira`;
      title.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    },
    navigate(target) {
      if (location.hash === target) render();
      else location.hash = target;
    },
    flash(message) {
      flashText = message;
    },
    requireLogin(reason) {
      this.navigate(`#/login?${new URLSearchParams({ next: hash, reason })}`);
    },
    sessionEnded() {
      this.requireLogin("Your session has ended. Log in again: your unsaved text is kept and will be back.");
    },
  };
}

async function render() {
  const hash = location.hash || "#/";
  if (!hash.startsWith("#/")) return; // an in-page anchor such as the skip link
  const [path, queryString = ""] = hash.slice(1).split("?");
  const query = new URLSearchParams(queryString);
  const number = ++shown;
  flashLine.hidden = !flashText;
  flashLine.textContent = flashText;
  flashText = "";
  searchInput.value = path === "/search" ? (query.get("q") ?? "") : "";
  const ctx = context(number, hash);
  for (const [pattern, view] of ROUTES) {
    const match = pattern.exec(path);
    if (match) {
      const parts = match.slice(1).map(decodeURIComponent);
      return view(ctx, parts, query);
    }
  }
  ctx.show("Page not found", h("p", {}, "This address leads nowhere. "), h("p", {}, h("a", { href: "#/" }, "See the newest posts")));
}

function renderAccount() {
  const nav = document.getElementById("account-nav");
  const user = session.user();
  if (!user) {
    nav.replaceChildren(h("a", { href: "#/login" }, "Log in"), h("a", { href: "#/signup" }, "Sign up"));
    return;
  }
  const out = h("button", { type: "button", class: "link" }, "Log out");
  out.addEventListener("click", async () => {
    await logOut();
    flashText = "You are logged out.";
    if (location.hash === "#/") render();
    else location.hash = "#/";
  });
  nav.replaceChildren(
    h("span", { class: "who" }, `@${user.username}`),
    h("a", { href: "#/write" }, "Write"),
    h("a", { href: "#/me" }, "My posts"),
    out,
  );
}

document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const words = searchInput.value.trim();
  location.hash = words ? `#/search?${new URLSearchParams({ q: words })}` : "#/";
});
session.onChange(renderAccount);
window.addEventListener("hashchange", render);
renderAccount();
render();
