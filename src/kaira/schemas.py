"""Building blocks shared by every domain's schemas."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict

MAX_ID = 2**31 - 1  # ids are 32-bit in the original design's schema; larger ones can never exist


class Schema(BaseModel):
    """Input schemas refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="A user's id")]
PostId = Annotated[int, Path(ge=1, le=MAX_ID, description="A post's id")]
