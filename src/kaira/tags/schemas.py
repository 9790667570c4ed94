from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from kaira.schemas import CONTROL_CHARACTERS, Text
from kaira.shapes import Shape

MAX_TAG_LENGTH = 30
# What `str.strip()` removes, less the control characters (refused anyway).
_SPACES = "\\t\\n\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_INNER = f"[^{CONTROL_CHARACTERS}]"
_EDGE = f"[^{CONTROL_CHARACTERS}{_SPACES}]"
TAG_PATTERN = f"^[{_SPACES}]*{_EDGE}({_INNER}{{0,{MAX_TAG_LENGTH - 2}}}{_EDGE})?[{_SPACES}]*$"
"""What `normalise_tag` accepts, told to clients: 1 to 30 characters once trimmed, no control character."""


def normalise_tag(raw: str) -> str:
    """Trimmed and lower case, as stored; the length is that of the stored name (the column holds 30, and
    lower case can be longer: "İ" is two characters in it)."""
    name = raw.strip().lower()
    if not name:
        raise PydanticCustomError("string_too_short", "The tag must not be empty once trimmed")
    if len(name) > MAX_TAG_LENGTH:
        raise PydanticCustomError(
            "string_too_long",
            "The tag must be at most {max_length} characters, trimmed and in lower case",
            {"max_length": MAX_TAG_LENGTH},
        )
    return name


TagName = Annotated[
    str,
    Text(),
    AfterValidator(normalise_tag),
    Field(json_schema_extra={"pattern": TAG_PATTERN}),
]


def _merged_and_sorted(names: list[str]) -> list[str]:
    """Duplicates merged, names sorted: the one order in which a post's tags are stored and shown."""
    return sorted(set(names))


MAX_TAGS = 10
TagNames = Annotated[list[TagName], Field(max_length=MAX_TAGS), AfterValidator(_merged_and_sorted)]


class TagCount(BaseModel):
    name: str
    post_count: int


TAG_COUNT = Shape.of(TagCount, computed=("post_count",))
