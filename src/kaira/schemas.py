"""Building blocks shared by every domain's schemas."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

MAX_ID = 2**31 - 1  # ids are 32-bit in the original design's schema; larger ones can never exist

# What text may not hold: the C0 controls but tab, line feed and carriage return; DELETE; the C1 controls
# (U+0080-U+009F, invisible and meaningless in UTF-8 text); and lone surrogates, which UTF-8 cannot encode.
# PostgreSQL cannot store NUL at all and the rest has no place in a title or a name, so every database
# refuses the same characters. Everything else (Korean, emoji, right-to-left scripts and their
# formatting marks) is text and is stored as sent.
CONTROL_CHARACTERS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
"""The forbidden controls as the inside of a regular-expression class, for documenting fields whose
pattern is their own."""
FORBIDDEN_CHARACTER = re.compile(f"[{CONTROL_CHARACTERS}\\ud800-\\udfff]")
TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*$"
"""The rule as a JSON-schema `pattern`, so that clients and fuzzers generated from the OpenAPI document
know it. Without the surrogates: a JSON text can only name them as `\\u` escapes, and tools cannot use
a pattern that names them."""


FORBIDDEN_IN_PATH = re.compile(f"[\\t\\n\\r{CONTROL_CHARACTERS}\\ud800-\\udfff]")
"""A path holds no control character at all: Starlette's route patterns end in `$`, which matches
before a final line feed, so `/api/users/%0A` was answered as the list `/api/users/`."""


def forbidden_character_error(text: str, *, in_path: bool = False) -> PydanticCustomError | None:
    """Why `text` is refused, or None when it may be stored (`in_path`: when it may be a path)."""
    found = (FORBIDDEN_IN_PATH if in_path else FORBIDDEN_CHARACTER).search(text)
    if found is None:
        return None
    code = ord(found.group())
    kind = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
    rule = (
        "a path holds no control character"
        if in_path
        else "of the control characters only tab, line feed and carriage return are allowed"
    )
    return PydanticCustomError(
        "control_character",
        "Text must not contain {character} ({kind}); {rule}",
        {"character": f"U+{code:04X}", "kind": kind, "rule": rule},
    )


@dataclass(frozen=True, slots=True)
class Text:
    """Text from outside, in any body, query parameter or form: `Annotated[str, Text(max_length=100)]`.

    Refuses the forbidden characters before any other rule of the field, so the answer names the real
    problem, and documents the refusal as the field's `pattern` (a field's own pattern is stricter and
    wins). The length limits and pattern are taken here rather than from `Field`, so that they still
    give pydantic's usual messages.
    """

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        limits = StringConstraints(
            min_length=self.min_length, max_length=self.max_length, pattern=self.pattern
        )
        return core_schema.no_info_before_validator_function(
            _refuse_forbidden_characters, handler.generate_schema(Annotated[source, limits])
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("pattern", TEXT_PATTERN)  # a field's own pattern refuses them already
        return json_schema


def _refuse_forbidden_characters(value: Any) -> Any:
    if isinstance(value, str) and (error := forbidden_character_error(value)) is not None:
        raise error
    return value


CleanStr = Annotated[str, Text()]
"""Text with no limits of its own."""


class Schema(BaseModel):
    """Input schemas refuse unknown fields (a typo must not be silently ignored) and take each value
    only in its documented JSON type: pydantic's lax mode read `0`, `"off"` and `"n"` as `false`, so
    a body the OpenAPI document calls malformed was stored (found by `make fuzz`)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=False)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_PLAIN_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _written_plainly(value: Any) -> Any:
    """A number in a path or a query is written in ASCII digits, without leading zeros or a plus.

    pydantic's lax parsing also takes " 7", "+7", "07", "7.0" and "1_0" (which is 10): one post would
    have many addresses, and a request that the OpenAPI document calls malformed would be answered.
    The error is pydantic's own for "abc", so every malformed number gets the same 422."""
    if isinstance(value, str) and not _PLAIN_INTEGER.fullmatch(value):
        raise PydanticCustomError(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        )
    return value


PlainInteger = BeforeValidator(_written_plainly)
"""For every integer read from a path or a query string: `Annotated[int, Query(...), PlainInteger]`
(after the constraints: before them it would hide them from the OpenAPI document)."""

UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="A user's id"), PlainInteger]
PostId = Annotated[int, Path(ge=1, le=MAX_ID, description="A post's id"), PlainInteger]
