// A post's Markdown → a DOM fragment that cannot run anything: marked renders it, DOMPurify keeps only
// plain HTML (no script, event handler, `javascript:` URL, frame, form or SVG/MathML), and the page's
// Content-Security-Policy would refuse inline script even if something slipped through.

import { Marked } from "../vendor/marked.esm.js";
import DOMPurify from "../vendor/purify.es.js";

const markdown = new Marked({ gfm: true, breaks: true, async: false });

const SANITIZE = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "iframe", "frame", "object", "embed", "form", "input", "button", "textarea", "select"],
  FORBID_ATTR: ["style"],
  SANITIZE_NAMED_PROPS: true, // ids and names from a post cannot clobber the page's globals
  RETURN_DOM_FRAGMENT: true,
};

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) node.setAttribute("rel", "nofollow noopener noreferrer ugc");
});

export function renderMarkdown(source) {
  return DOMPurify.sanitize(markdown.parse(source), SANITIZE);
}
