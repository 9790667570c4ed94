"""The Atom document, built from post data alone: no request, no database, so it is tested as it is.

Each entry links to the post on the bundled web page (`/static/#/posts/ID`). The content is the post's
Markdown as text: a feed reader shows it as written, and no HTML of a post's making reaches it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PostData = Mapping[str, Any]
"""A post as its endpoints answer it (`PostRead`'s fields, with `author`)."""

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)

# XML 1.0 allows no other characters. The API refuses control characters, but rows adopted from the
# original tutorial were never checked, and one such character would make the whole feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class FeedLinks:
    """Where the feed and the web page live, as the request that asked for the feed saw them."""

    feed_url: str
    page_url: str
    """The web page's address (`…/static/`); posts are `#/posts/ID` under it."""
    tag: str | None = None

    def post(self, post_id: int) -> str:
        return f"{self.page_url}#/posts/{post_id}"

    def author(self, author_id: int) -> str:
        return f"{self.page_url}#/authors/{author_id}"

    @property
    def listing(self) -> str:
        return f"{self.page_url}#/tags/{self.tag}" if self.tag else self.page_url


def atom_feed(posts: Sequence[PostData], links: FeedLinks, *, now: datetime | None = None) -> bytes:
    """The feed as UTF-8 bytes; `updated` is the newest post's, or `now` when there is none."""
    feed = ET.Element(_name("feed"))
    title = f"Kaira — posts tagged {links.tag}" if links.tag else "Kaira — newest posts"
    _text(feed, "title", title)
    _text(feed, "id", links.feed_url)
    newest = max((post["updated_at"] for post in posts), default=now or datetime.now(UTC))
    _text(feed, "updated", _instant(newest))
    _link(feed, links.feed_url, rel="self", media_type="application/atom+xml")
    _link(feed, links.listing, rel="alternate", media_type="text/html")
    _text(feed, "generator", "Kaira")
    for post in posts:
        _entry(feed, post, links)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def _entry(feed: ET.Element, post: PostData, links: FeedLinks) -> None:
    entry = ET.SubElement(feed, _name("entry"))
    url = links.post(post["id"])
    _text(entry, "title", post["title"])
    _text(entry, "id", url)
    _link(entry, url, rel="alternate", media_type="text/html")
    _text(entry, "published", _instant(post["created_at"]))
    _text(entry, "updated", _instant(post["updated_at"]))
    author = ET.SubElement(entry, _name("author"))
    _text(author, "name", post["author"]["full_name"] or post["author"]["username"])
    _text(author, "uri", links.author(post["author_id"]))
    for tag in post["tags"]:
        ET.SubElement(entry, _name("category"), term=tag)
    _text(entry, "content", post["content"]).set("type", "text")


def _name(local: str) -> str:
    return f"{{{ATOM}}}{local}"


def _text(parent: ET.Element, local: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, _name(local))
    element.text = _NOT_XML.sub("\ufffd", value)
    return element


def _link(parent: ET.Element, href: str, *, rel: str, media_type: str) -> None:
    ET.SubElement(parent, _name("link"), {"href": href, "rel": rel, "type": media_type})


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
