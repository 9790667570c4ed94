"""A public JSON object described once: its fields come from its read schema, its columns from them.

Each shape (a user, an author inside a post, a post) is named by the pydantic model that documents it.
The same `Shape` gives the labelled columns every statement selects, Core read, CTE or ORM session
alike, and turns a row into the response's dict by those labels. So a field added to a read schema
reaches every statement and every answer of that shape, or fails every test at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Label

RowData = Mapping[Any, Any]
"""A row by its labels: SQLAlchemy's `RowMapping`, or a dict built from one."""


@dataclass(frozen=True, slots=True)
class Shape:
    fields: tuple[str, ...]
    prefix: str = ""
    """How the columns are labelled in a row that joins several shapes (`author__username`)."""

    @classmethod
    def of(cls, schema: type[BaseModel], *, prefix: str = "", without: tuple[str, ...] = ()) -> Shape:
        return cls(tuple(name for name in schema.model_fields if name not in without), prefix)

    def columns(self, source: Any) -> list[Label[Any]]:
        """The fields as labelled columns of `source`: a mapped class, a table's or a CTE's `.c`."""
        return [getattr(source, name).label(self.prefix + name) for name in self.fields]

    def from_row(self, row: RowData) -> dict[str, Any]:
        prefix = self.prefix
        return {name: row[prefix + name] for name in self.fields}
