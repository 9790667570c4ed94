// What readers see: lists of posts (newest first, paged by the API's Link cursor) and one post.

import { ApiError, SessionEnded, getJson, sendJson } from "../api.js";
import { authorName, dateTime, excerpt, h, languageOf, say, statusLine } from "../dom.js";
import { session } from "../session.js";

const PAGE = 10;
export const FIRST_POSTS_MARK = "kaira:first-posts";

function tagList(tags) {
  if (tags.length === 0) return null;
  const items = tags.map((tag) => h("li", {}, h("a", { href: `#/tags/${encodeURIComponent(tag)}`, class: "tag" }, `#${tag}`)));
  return h("ul", { class: "tags", "aria-label": "Tags" }, items);
}

function byline(post) {
  return h(
    "p",
    { class: "meta" },
    "by ",
    h("a", { href: `#/authors/${post.author_id}` }, authorName(post.author)),
    " · ",
    dateTime(post.created_at),
    post.is_published ? null : h("span", { class: "badge" }, "Draft"),
  );
}

function card(post) {
  const lang = languageOf(`${post.title} ${post.content.slice(0, 300)}`);
  return h(
    "li",
    {},
    h(
      "article",
      { class: "card" },
      h("h2", { lang }, h("a", { href: `#/posts/${post.id}` }, post.title)),
      byline(post),
      h("p", { class: "excerpt", lang }, excerpt(post.content)),
      tagList(post.tags),
    ),
  );
}

/** A list of posts with "Older posts" following the API's `Link: <…>; rel="next"`. */
async function postList(ctx, { title, intro = null, path, auth = "none", empty, extra = null, mark = false }) {
  const list = h("ol", { class: "posts", "aria-label": "Posts" });
  const status = statusLine("list-status");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Older posts");
  ctx.show(title, intro ? h("p", { class: "intro" }, intro) : null, extra, status, list, more);
  say(status, "Loading posts…");
  let next = null;

  async function load(url) {
    more.disabled = true;
    try {
      const { data, next: following } = await getJson(url, { auth });
      const cards = data.map(card);
      list.append(...cards);
      next = following;
      more.hidden = next === null;
      if (list.children.length === 0) say(status, empty);
      else say(status, url === path ? "" : `${data.length} older posts shown.`);
      if (url !== path) cards[0]?.querySelector("a")?.focus();
      if (mark && performance.getEntriesByName(FIRST_POSTS_MARK).length === 0) {
        performance.mark(FIRST_POSTS_MARK);
        import("../markdown.js").catch(() => {}); // fetched once the first screen is up: a post opens at once
      }
    } catch (error) {
      if (error instanceof SessionEnded) ctx.sessionEnded();
      else say(status, `Could not load posts: ${error.message}`, { error: true });
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener("click", () => load(next));
  await load(path);
}

async function popularTags() {
  const box = h("nav", { class: "popular", "aria-label": "Popular tags" });
  getJson("api/tags/?limit=15")
    .then(({ data }) => {
      const list = tagList(data.map((tag) => tag.name));
      if (list) box.append(h("h2", { class: "small" }, "Popular tags"), list);
    })
    .catch(() => {}); // the tags are a shortcut; the posts below say it if the service is down
  return box;
}

export async function home(ctx) {
  await postList(ctx, {
    title: "Newest posts",
    path: `api/posts/published?limit=${PAGE}`,
    empty: "No posts have been published yet.",
    extra: await popularTags(),
    mark: true,
  });
}

export async function tagged(ctx, tag) {
  await postList(ctx, {
    title: `Posts tagged #${tag}`,
    path: `api/posts/?tag=${encodeURIComponent(tag)}&limit=${PAGE}`,
    empty: `No published post has the tag #${tag}.`,
  });
}

export async function search(ctx, words) {
  if (!words.trim()) return ctx.navigate("#/");
  await postList(ctx, {
    title: `Search: ${words}`,
    path: `api/posts/?q=${encodeURIComponent(words)}&limit=${PAGE}`,
    empty: `Nothing matches “${words}”. Try fewer or other words.`,
  });
}

export async function author(ctx, id) {
  let user;
  try {
    user = await sendJson(`api/users/${id}`);
  } catch (error) {
    const gone = error instanceof ApiError && error.status === 404;
    return ctx.show(gone ? "No such author" : "Cannot show this author", h("p", {}, gone ? `There is no author #${id}.` : error.message));
  }
  await postList(ctx, {
    title: `Posts by ${authorName(user)}`,
    intro: `@${user.username}`,
    path: `api/posts/?author_id=${id}&limit=${PAGE}`,
    empty: `${authorName(user)} has published nothing yet.`,
  });
}

export async function mine(ctx) {
  const me = session.user();
  if (!me) return ctx.requireLogin("Log in to see your posts and drafts.");
  await postList(ctx, {
    title: "Your posts",
    intro: "Drafts are marked; only you can see them.",
    path: `api/posts/?author_id=${me.id}&limit=${PAGE}`,
    auth: "required",
    empty: "You have not written anything yet.",
    extra: h("p", {}, h("a", { href: "#/write", class: "button" }, "Write a post")),
  });
}

export async function post(ctx, id) {
  let found;
  const rendering = import("../markdown.js"); // fetched while the post is
  rendering.catch(() => {}); // a failure is said below, or does not matter (no post to render)
  try {
    found = await sendJson(`api/posts/${id}`, { auth: "optional" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return ctx.show("Post not found", h("p", {}, `There is no post #${id}, or it is a draft only its author can see.`), h("p", {}, h("a", { href: "#/" }, "See the newest posts")));
    }
    return ctx.show("Cannot show this post", h("p", { class: "error" }, error.message));
  }
  const lang = languageOf(`${found.title} ${found.content.slice(0, 300)}`);
  const body = h("div", { class: "post-body", lang });
  try {
    body.append((await rendering).renderMarkdown(found.content));
  } catch {
    body.append(h("p", { class: "error" }, "The page could not load its Markdown renderer. Reload to try again."));
  }
  const status = statusLine("post-status");
  const mineToo = session.user()?.id === found.author_id;
  const actions = mineToo
    ? h(
        "div",
        { class: "actions" },
        h("a", { href: `#/posts/${id}/edit`, class: "button" }, "Edit"),
        h("button", { type: "button", class: "danger", onclick: () => confirmDelete(ctx, found, status) }, "Delete"),
      )
    : null;
  ctx.show(h("h1", { lang }, found.title), byline(found), tagList(found.tags), body, actions, status);
}

function confirmDelete(ctx, found, status) {
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-text" },
    h("h2", { id: "confirm-title" }, "Delete this post?"),
    h("p", { id: "confirm-text" }, `“${found.title}” will be gone for good.`),
    h(
      "form",
      { method: "dialog", class: "actions" },
      h("button", { value: "cancel", class: "secondary" }, "Cancel"),
      h("button", { value: "delete", class: "danger" }, "Delete post"),
    ),
  );
  dialog.addEventListener("close", async () => {
    dialog.remove();
    if (dialog.returnValue !== "delete") return;
    say(status, "Deleting…");
    try {
      await sendJson(`api/posts/${found.id}`, { method: "DELETE", auth: "required" });
      ctx.flash(`Deleted “${found.title}”.`);
      ctx.navigate("#/me");
    } catch (error) {
      if (error instanceof SessionEnded) ctx.sessionEnded();
      else say(status, `Could not delete: ${error.message}`, { error: true });
    }
  });
  document.body.append(dialog);
  dialog.showModal();
}
