from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, StringConstraints

from kaira.shapes import Shape

TagName = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=30)]


def _merged_and_sorted(names: list[str]) -> list[str]:
    """Duplicates merged, names sorted: the one order in which a post's tags are stored and shown."""
    return sorted(set(names))


TagNames = Annotated[list[TagName], AfterValidator(_merged_and_sorted)]


class TagCount(BaseModel):
    name: str
    post_count: int


TAG_COUNT = Shape.of(TagCount, computed=("post_count",))
