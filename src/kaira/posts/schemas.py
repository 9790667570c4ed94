from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator

from kaira.schemas import ReadSchema, Schema, Text
from kaira.shapes import Shape
from kaira.tags.schemas import TagNames
from kaira.users.schemas import UserPublic

Title = Annotated[str, Text(min_length=1, max_length=200)]
Content = Annotated[str, Text(min_length=1, max_length=100_000)]
SearchWords = Annotated[str, Text(min_length=1, max_length=200)]


class PostCreate(Schema):
    title: Title
    content: Content
    is_published: bool = False
    tags: TagNames = Field(default_factory=list)


def _not_nullable(schema: dict[str, Any]) -> None:
    """Each property as its type alone, without the `null` branch and default that `| None` documents."""
    for name, field in schema["properties"].items():
        branches = [branch for branch in field.get("anyOf", []) if branch != {"type": "null"}]
        if len(branches) == 1:
            schema["properties"][name] = {"title": field["title"], **branches[0]}


class PostUpdate(Schema):
    """Every field optional; a field that is sent replaces the old value (tags: the whole set).

    `None` only stands for "not sent": an explicit `null` would erase a required value, so it is refused.
    """

    model_config = ConfigDict(json_schema_extra=_not_nullable)  # null is refused: the document shows none

    title: Title | None = None
    content: Content | None = None
    is_published: bool | None = None
    tags: TagNames | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class PostRead(ReadSchema):
    id: int
    title: str
    content: str
    author_id: int
    is_published: bool
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    author: UserPublic


AUTHOR = Shape.of(UserPublic, prefix="author__")
"""A post's author as every post shows it: the public profile, never the email."""
POST = Shape.of(PostRead, nested={"author": AUTHOR}, computed=("tags",))
"""A post with its author and its sorted tag names, as every endpoint answers it."""


@dataclass(frozen=True, slots=True)
class PostFilter:
    """Which posts a list shows, besides what the caller may see."""

    author_id: int | None = None
    tag: str | None = None
    query: str | None = None
    published_only: bool = False
