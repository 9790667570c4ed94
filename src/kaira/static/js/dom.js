// Small helpers for building the page. Text from the API always goes in as text (textContent), never
// as HTML; the only HTML the page inserts is a post's Markdown after DOMPurify (markdown.js).

/** `h("a", {href: "#/"}, "Home")`: an element; strings become text nodes, null/false are skipped. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/g;
const LETTERS = /\p{L}/gu;

/** "ko" when most letters are Hangul (for fonts and line breaking), else null (the page's "en"). */
export function languageOf(text) {
  const letters = (text.match(LETTERS) ?? []).length;
  const hangul = (text.match(HANGUL) ?? []).length;
  return letters > 0 && hangul * 2 >= letters ? "ko" : null;
}

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function dateTime(iso) {
  return h("time", { datetime: iso }, DATE.format(new Date(iso)));
}

export function authorName(author) {
  return author.full_name || author.username;
}

/** Messages beside the fields they belong to; the first refused field gets the focus. */
export function showFieldErrors(form, fields) {
  for (const node of form.querySelectorAll(".field-error")) {
    node.textContent = "";
    node.hidden = true;
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  let first = null;
  for (const [name, message] of Object.entries(fields)) {
    const input = form.elements.namedItem(name);
    const slot = form.querySelector(`#${CSS.escape(`${form.id}-${name}-error`)}`);
    if (!input || !slot) continue;
    slot.textContent = message;
    slot.hidden = false;
    input.setAttribute("aria-invalid", "true");
    first ??= input;
  }
  first?.focus();
  return first !== null;
}

/** A labelled field with its error slot: `{label, name, input}` → the wrapper element. */
export function field(formId, { label, name, control, hint }) {
  const id = `${formId}-${name}`;
  control.id = id;
  control.name = name;
  const described = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", described);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    control,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
}

/** Where an action's outcome is said: "Saving…", or what went wrong. */
export function statusLine(id) {
  return h("p", { class: "form-status", id, role: "status", "aria-live": "polite" });
}

export function say(node, message, { error = false } = {}) {
  node.textContent = message;
  node.classList.toggle("error", error);
}

/**
 * The start of a post's Markdown as plain text, for a list's excerpt. Only ever shown as text, so it needs
 * no sanitizer, and the first screen does not wait for the Markdown and HTML libraries.
 */
export function excerpt(source, length = 220) {
  const text = source
    .slice(0, length * 4)
    .replace(/```[\s\S]*?(```|$)/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, "")
    .replace(/(\*\*|__|\*|~~|`)/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > length ? `${text.slice(0, length - 1).trimEnd()}…` : text;
}
