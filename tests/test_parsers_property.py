"""The parsers that take outside text, given any text: each answers, or raises its intended error only.

Cursors (`kaira.pagination`), the search words, tag names, `X-Request-ID` and `DATABASE_URL`, with
hypothesis. Kept fast: a modest number of examples each, no database.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from kaira.config import ConfigError, parse_database_url
from kaira.errors import InvalidCursor
from kaira.middleware import _incoming_id
from kaira.pagination import Cursor, decode_cursor, encode_cursor
from kaira.posts.repository import _like_pattern
from kaira.posts.schemas import SearchWords
from kaira.schemas import FORBIDDEN_CHARACTER, TEXT_PATTERN
from kaira.tags.schemas import MAX_TAG_LENGTH, TAG_PATTERN, TagName
from kaira.users.schemas import EMAIL_PATTERN, Email
from tests.helpers_pages import forged_cursor

FAST = settings(max_examples=150, deadline=None)
KEYS = {"posts": [datetime, int], "users": [int], "tags": [int, str]}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@FAST
@given(raw=st.text(), kind=st.sampled_from(list(KEYS)))
@example(raw="=" * 8, kind="posts")
@example(
    raw="WyJ0YWdzIiwgMTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwLCAxZTQwMF0", kind="tags"
)  # past 64 bits, past a double
def test_any_text_as_a_cursor_is_a_key_or_invalid(raw: str, kind: str) -> None:
    key = _decoded(raw, kind)

    if isinstance(key, InvalidCursor):
        assert key.body()["detail"][0]["loc"] == ["query", "cursor"]
    else:
        assert [type(value) for value in key] == KEYS[kind]


def _decoded(raw: str, kind: str) -> list[Any] | InvalidCursor:
    try:
        return decode_cursor(raw, kind, KEYS[kind])
    except InvalidCursor as error:
        return error


@FAST
@given(value=json_values, kind=st.sampled_from(list(KEYS)))
def test_any_json_in_a_cursor_is_a_key_or_invalid(value: Any, kind: str) -> None:
    for payload in (value, [kind, value], [kind, value, value]):
        _decoded(forged_cursor(payload), kind)


@FAST
@given(
    created_at=st.datetimes(timezones=st.just(UTC)),
    post_id=st.integers(1, 2**31 - 1),
    count=st.integers(0, 2**31 - 1),
    name=st.text(min_size=1, max_size=30),
)
def test_a_cursor_the_service_made_reads_back_as_its_key(
    created_at: datetime, post_id: int, count: int, name: str
) -> None:
    assert decode_cursor(encode_cursor("posts", created_at, post_id), "posts", KEYS["posts"]) == [
        created_at,
        post_id,
    ]
    assert decode_cursor(encode_cursor("tags", count, name), "tags", KEYS["tags"]) == [count, name]
    assert len(encode_cursor("tags", count, name)) <= 512  # what the `cursor` parameter accepts


def _accepts(kind: Any, raw: str) -> bool:
    try:
        TypeAdapter(kind).validate_python(raw)
    except ValidationError:
        return False
    return True


@FAST
@given(raw=st.text())
def test_any_text_is_clean_text_or_a_422(raw: str) -> None:
    """The rule and the `pattern` the document shows agree, character for character."""
    documented = re.fullmatch(TEXT_PATTERN, raw) is not None
    if _accepts(Cursor, raw):
        assert documented
    else:
        assert not documented or len(raw) > 512
    assert documented == (FORBIDDEN_CHARACTER.search(raw) is None)


@FAST
@given(raw=st.text(max_size=40))
@example(raw="İ" * 16)
@example(raw=" \u3000 ")
def test_any_text_is_a_stored_tag_name_or_a_422_as_documented(raw: str) -> None:
    documented = re.fullmatch(TAG_PATTERN, raw) is not None
    try:
        name = TypeAdapter(TagName).validate_python(raw)
    except ValidationError:
        # Lower case may be longer than what was sent: the one refusal the pattern cannot show.
        assert not documented or len(raw.strip().lower()) > MAX_TAG_LENGTH
    else:
        assert documented
        assert name == raw.strip().lower()
        assert 1 <= len(name) <= MAX_TAG_LENGTH


@FAST
@given(email=st.emails())
@example(email="en*ezl%dt@w5pz.true.test")  # found by `make fuzz`: refused, though documented as valid
@example(email="ada@Example.LOCAL")
def test_an_email_is_refused_only_where_the_document_says(email: str) -> None:
    documented = re.fullmatch(EMAIL_PATTERN, email) is not None and len(email) <= 100

    assert _accepts(Email, email) == documented


@pytest.fixture(scope="module")
def sqlite() -> Any:
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA case_sensitive_like = ON")
    yield connection
    connection.close()


STORABLE_TEXT = st.text(max_size=50).filter(lambda text: FORBIDDEN_CHARACTER.search(text) is None)
"""What a post can hold: never a NUL, at which SQLite's LIKE would stop reading (found by this test)."""


@FAST
@given(words=st.text(min_size=1, max_size=200), haystack=STORABLE_TEXT)
@example(words="100%", haystack="100 percent")
@example(words="a_c", haystack="abc")
@example(words="\\", haystack="back\\slash")
def test_search_words_match_literally(sqlite: sqlite3.Connection, words: str, haystack: str) -> None:
    """Any text is valid search words or a 422; each word is found as written: `%`, `_` and `\\` are
    not wildcards."""
    if not _accepts(SearchWords, words):
        assert FORBIDDEN_CHARACTER.search(words)
        return
    for word in words.split():
        pattern = _like_pattern(word)
        found = sqlite.execute("SELECT ? LIKE ? ESCAPE '\\'", (haystack, pattern)).fetchone()[0]
        assert bool(found) == (word in haystack), (word, haystack)


@FAST
@given(value=st.binary(max_size=200))
@example(value=b"trace-1.2_3")
@example(value=b"trace\n")  # found by hypothesis: `$` matched before a final line feed
@example(value="한국어".encode())
def test_any_request_id_header_is_kept_when_sane_or_dropped(value: bytes) -> None:
    kept = _incoming_id({"headers": [(b"x-request-id", value)]})

    if kept is not None:
        assert re.fullmatch(r"[A-Za-z0-9._\-]{1,128}", kept)
        assert kept.encode() == value


database_urls = st.one_of(
    st.text(),
    st.builds(
        "{}://{}:{}@{}:{}/{}".format,
        st.sampled_from(["postgresql", "postgresql+asyncpg", "sqlite", "sqlite+aiosqlite", "mysql", ""]),
        st.text(max_size=8),
        st.text(max_size=8),
        st.text(max_size=12),
        st.text(max_size=6),
        st.text(max_size=12),
    ),
)


@FAST
@given(raw=database_urls)
@example(raw="postgresql://[::1/db")
@example(raw="postgresql://u:p@h:99999/db")
@example(raw="sqlite:///\x00")
def test_any_database_url_is_parsed_or_refused_with_one_clear_line(raw: str) -> None:
    try:
        url = parse_database_url(raw)
    except ConfigError as error:
        message = str(error)
        assert message.startswith("DATABASE_URL ")
        assert "\n" not in message
    else:
        assert url.drivername in {"postgresql+asyncpg", "sqlite+aiosqlite"}


def test_a_cursor_key_survives_json_exactly() -> None:
    """The datetime in a cursor keeps its microseconds: the next page starts right after the last row."""
    when = datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)
    assert orjson.loads(orjson.dumps(when.isoformat())) == when.isoformat()
