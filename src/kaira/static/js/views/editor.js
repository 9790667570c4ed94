// Writing: title, Markdown with a live preview, tags; saved as a draft or published. Every keystroke is
// kept in sessionStorage until the save succeeds, so an ended session costs a log-in, not the text.

import { ApiError, SessionEnded, sendJson } from "../api.js";
import { field, h, say, showFieldErrors, statusLine } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { session, unsaved } from "../session.js";

function tagsOf(text) {
  return text
    .split(",")
    .map((tag) => tag.trim())
    .filter(Boolean);
}

export async function editor(ctx, postId) {
  const me = session.user();
  if (!me) return ctx.requireLogin(postId ? "Log in to edit your post." : "Log in to write a post.");
  const key = postId ? String(postId) : "new";
  let original = { title: "", content: "", tags: [], is_published: false };
  if (postId) {
    try {
      original = await sendJson(`api/posts/${postId}`, { auth: "required" });
    } catch (error) {
      if (error instanceof SessionEnded) return ctx.sessionEnded();
      return ctx.show("Cannot edit this post", h("p", { class: "error" }, error.message));
    }
    if (original.author_id !== me.id) {
      return ctx.show("Not your post", h("p", {}, "Only its author can edit this post."));
    }
  }

  const title = h("input", { type: "text", required: true, autocomplete: "off" });
  const content = h("textarea", { rows: 14, required: true });
  const tags = h("input", { type: "text", autocomplete: "off" });
  const preview = h("div", { class: "post-body preview", id: "preview" });
  const status = statusLine("editor-status");
  status.tabIndex = -1;
  const draftButton = h("button", { type: "submit", value: "draft", class: "secondary" }, "Save as draft");
  const publishButton = h("button", { type: "submit", value: "publish" }, original.is_published ? "Publish changes" : "Publish");
  const form = h(
    "form",
    { id: "editor", class: "editor", novalidate: true },
    h(
      "div",
      { class: "stack" },
      field("editor", { label: "Title", name: "title", control: title }),
      field("editor", { label: "Content (Markdown)", name: "content", control: content }),
      field("editor", { label: "Tags", name: "tags", hint: "Separated by commas, at most 10", control: tags }),
      h("div", { class: "actions" }, draftButton, publishButton),
      status,
    ),
    h("section", { class: "preview-pane", "aria-labelledby": "preview-title" }, h("h2", { id: "preview-title" }, "Preview"), preview),
  );

  const kept = unsaved.load(key, me.username);
  const start = kept ?? { title: original.title, content: original.content, tags: original.tags.join(", ") };
  title.value = start.title;
  content.value = start.content;
  tags.value = start.tags;
  const restored = kept
    ? h(
        "p",
        { class: "notice", role: "status" },
        "Your unsaved text was restored. ",
        h("button", { type: "button", class: "link", onclick: () => discardKept() }, "Discard it"),
      )
    : null;

  function discardKept() {
    unsaved.discard();
    title.value = original.title;
    content.value = original.content;
    tags.value = original.tags.join(", ");
    restored?.remove();
    refresh();
  }

  let pending = false;
  function refresh() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      preview.replaceChildren(content.value.trim() ? renderMarkdown(content.value) : h("p", { class: "hint" }, "Nothing to preview yet."));
    });
  }

  form.addEventListener("input", () => {
    unsaved.save(key, me.username, { title: title.value, content: content.value, tags: tags.value });
    if (restored?.isConnected) restored.remove();
    refresh();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const publish = event.submitter?.value === "publish";
    const body = { title: title.value, content: content.value, tags: tagsOf(tags.value), is_published: publish };
    showFieldErrors(form, {});
    draftButton.disabled = publishButton.disabled = true;
    say(status, publish ? "Publishing…" : "Saving…");
    try {
      const saved = postId
        ? await sendJson(`api/posts/${postId}`, { method: "PUT", json: body, auth: "required" })
        : await sendJson("api/posts/", { method: "POST", json: body, auth: "required" });
      unsaved.discard();
      ctx.flash(publish ? "Published." : "Saved as a draft.");
      ctx.navigate(`#/posts/${saved.id}`);
    } catch (error) {
      if (error instanceof SessionEnded) return ctx.sessionEnded();
      const placed = error instanceof ApiError && showFieldErrors(form, error.fields);
      say(status, placed ? "Please correct the fields marked above." : `Not saved: ${error.message}`, { error: true });
      if (!placed) status.focus();
    } finally {
      draftButton.disabled = publishButton.disabled = false;
    }
  });

  ctx.show(postId ? "Edit post" : "Write a post", restored, form);
  refresh();
}
