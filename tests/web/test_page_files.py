"""The page's files as the service serves them: headers, no inline script, size, pinned vendored modules."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

from kaira.static_site import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"
OWN_FILES = [path for path in STATIC_DIR.rglob("*") if path.is_file() and VENDOR not in path.parents]
PAGE_BUDGET_BYTES = 200 * 1024


def test_every_file_of_the_page_is_served_with_the_security_headers(client: TestClient) -> None:
    for path in ("/static/", "/static/js/main.js", "/static/css/app.css", "/static/vendor/purify.es.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert "object-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert client.get("/static/js/main.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/api/posts/").headers.get("content-security-policy") is None  # the API is untouched


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data.strip()


def test_the_page_has_no_inline_script_and_links_its_feed() -> None:
    parsed = _Tags()
    parsed.feed((STATIC_DIR / "index.html").read_text(encoding="utf-8"))

    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert scripts
    assert all(attrs.get("src") for attrs in scripts)
    assert parsed.script_text == ""
    assert not [name for _, attrs in parsed.tags for name in attrs if name.startswith("on")]
    assert ("html", {"lang": "en"}) in parsed.tags
    feeds = [attrs for tag, attrs in parsed.tags if tag == "link" and attrs.get("rel") == "alternate"]
    assert feeds == [{**feeds[0], "type": "application/atom+xml", "href": "../feed.xml"}]


def test_the_page_puts_no_html_of_its_own_making_into_the_document() -> None:
    """Only DOMPurify's output reaches the document as HTML; everything else goes in as text."""
    for path in OWN_FILES:
        if path.suffix == ".js":
            source = path.read_text(encoding="utf-8")
            assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", source)
            assert not re.search(r"localStorage\.|document\.cookie", source), path


def test_the_pages_own_files_stay_small() -> None:
    total = sum(path.stat().st_size for path in OWN_FILES)
    assert total < PAGE_BUDGET_BYTES, f"{total} bytes"


def _banner_version(path: Path) -> str:
    match = re.search(r"v?(\d+\.\d+\.\d+)", path.read_text(encoding="utf-8")[:400])
    assert match, path
    return match.group(1)


def test_the_vendored_modules_are_the_pinned_versions_with_their_licences() -> None:
    pinned = json.loads((VENDOR / "package.json").read_text())["dependencies"]
    locked = json.loads((VENDOR / "package-lock.json").read_text())["packages"]

    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in pinned.values())  # exact pins only
    assert {name: locked[f"node_modules/{name}"]["version"] for name in pinned} == pinned
    assert _banner_version(VENDOR / "marked.esm.js") == pinned["marked"]
    assert _banner_version(VENDOR / "purify.es.js") == pinned["dompurify"]
    assert (VENDOR / "marked.LICENSE").read_text().startswith("# License information")
    assert "Apache License" in (VENDOR / "dompurify.LICENSE").read_text()


def test_the_first_screens_modules_are_preloaded_and_only_they() -> None:
    """None waits for the module importing it; the Markdown and HTML libraries, which only a post and
    the editor need, are loaded by those (`import()`), after the first screen."""
    index = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', index))
    modules = {str(path.relative_to(STATIC_DIR)) for path in STATIC_DIR.rglob("*.js")}
    later = {"js/markdown.js", "js/views/editor.js", *(m for m in modules if m.startswith("vendor/"))}
    assert preloaded == modules - later - {"js/main.js"}
