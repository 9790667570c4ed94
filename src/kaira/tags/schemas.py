from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, StringConstraints

TagName = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=30)]


def _merge_duplicates(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


TagNames = Annotated[list[TagName], AfterValidator(_merge_duplicates)]


class TagCount(BaseModel):
    name: str
    post_count: int
