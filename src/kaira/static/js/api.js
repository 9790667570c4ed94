// The page's only way to the API. Errors come back as `ApiError`, with a message for a person and,
// for a refused field, the field's name; a session that cannot be renewed is `SessionEnded`.

import { session } from "./session.js";

const ROOT = new URL("../../", import.meta.url); // the service's root: this file is /static/js/api.js

export class ApiError extends Error {
  constructor(status, message, { fields = {}, retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.fields = fields; // field name → message, for the forms to show beside the field
    this.retryAfter = retryAfter;
  }
}

/** The session ended (its token expired or was revoked) and could not be renewed: log in again. */
export class SessionEnded extends Error {
  constructor() {
    super("Your session has ended. Log in again to go on.");
  }
}

/** Same-origin URL for an API path or for a `Link` URL the API gave (whatever host it named). */
function resolve(path) {
  const url = new URL(path.replace(/^\//, ""), ROOT);
  return new URL(url.pathname + url.search, location.origin).href;
}

export function nextLink(header) {
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header ?? "");
  return match ? match[1] : null;
}

function fieldOf(loc) {
  const names = (loc ?? []).filter((part) => typeof part === "string" && !["body", "query", "path"].includes(part));
  return names[0] ?? null;
}

async function errorOf(response) {
  let detail = null;
  try {
    detail = (await response.json()).detail;
  } catch {
    // not JSON: the status alone has to do
  }
  const status = response.status;
  if (status === 422 && Array.isArray(detail)) {
    const fields = {};
    for (const item of detail) {
      const field = fieldOf(item.loc) ?? "form";
      fields[field] ??= item.msg;
    }
    return new ApiError(status, "Some fields need another look.", { fields });
  }
  if (status === 429) {
    const seconds = Number.parseInt(response.headers.get("Retry-After") ?? "", 10) || 60;
    const at = new Date(Date.now() + seconds * 1000).toLocaleTimeString();
    return new ApiError(status, `Too many attempts. Try again in ${seconds} seconds (at ${at}).`, { retryAfter: seconds });
  }
  if (status === 400 && typeof detail === "string") {
    const field = /email/i.test(detail) ? "email" : /username/i.test(detail) ? "username" : null;
    return new ApiError(status, detail, { fields: field ? { [field]: detail } : {} });
  }
  if (status === 413) return new ApiError(status, "That is too large to send (the limit is 1 MiB).");
  if (status === 503) return new ApiError(status, "The service cannot reach its database just now. Try again in a moment.");
  if (status >= 500) {
    const id = response.headers.get("X-Request-ID");
    return new ApiError(status, `The server failed${id ? ` (request ${id})` : ""}. Try again in a moment.`);
  }
  return new ApiError(status, typeof detail === "string" ? detail : `The request failed (${status}).`);
}

let renewing = null;

/** Trade the refresh token for a new pair, once for all requests that met the same expired token. */
function renew() {
  renewing ??= (async () => {
    const refreshToken = session.refreshToken();
    if (!refreshToken) return false;
    try {
      const response = await fetch(resolve("api/auth/token"), {
        method: "POST",
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
      });
      if (!response.ok) return false;
      session.storeTokens(await response.json());
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    renewing = null;
  });
  return renewing;
}

async function send(path, { method, json, form, token }) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = new URLSearchParams(form);
  }
  try {
    return await fetch(resolve(path), { method, headers, body, cache: "no-store" });
  } catch {
    throw new ApiError(0, "Cannot reach the server. Check the connection and try again.");
  }
}

/**
 * `auth`: "none" (as a reader; public lists never include one's own drafts), "optional" (the token if
 * there is one; a dead session falls back to reading anonymously) or "required".
 */
export async function request(path, { method = "GET", json, form, auth = "none" } = {}) {
  const token = auth === "none" ? null : session.token();
  if (auth === "required" && !token) throw new SessionEnded();
  let response = await send(path, { method, json, form, token });
  if (response.status === 401 && token) {
    if (session.token() !== token || (await renew())) {
      response = await send(path, { method, json, form, token: session.token() });
    }
    if (response.status === 401) {
      session.clear();
      if (auth === "required") throw new SessionEnded();
      response = await send(path, { method, json, form, token: null });
    }
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** `{data, next}`: the JSON body and the next page's URL from `Link`, if any. */
export async function getJson(path, options) {
  const response = await request(path, options);
  return { data: await response.json(), next: nextLink(response.headers.get("Link")) };
}

export async function sendJson(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

export async function logIn(username, password) {
  const response = await request("api/auth/token", { method: "POST", form: { username, password } });
  session.storeTokens(await response.json());
  session.storeUser(await sendJson("api/users/me", { auth: "required" }));
}

/** Ends the session on the server where it has `/api/auth/logout`, and forgets the token either way. */
export async function logOut() {
  const token = session.token();
  if (token) {
    try {
      await send("api/auth/logout", { method: "POST", token });
    } catch {
      // unreachable or absent (404/405 before sessions existed): the token is forgotten all the same
    }
  }
  session.clear();
}
