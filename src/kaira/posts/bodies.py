"""A post as its endpoints answer it: plain data in the shape of `PostRead`, for `json_response`.

One builder for the read side (rows) and the write side (a new post), so that a post always reads
back exactly as its creation answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

PostData = dict[str, Any]


def post_data(
    post_id: int,
    title: str,
    content: str,
    author_id: int,
    is_published: bool,
    tags: list[str],
    created_at: datetime,
    updated_at: datetime,
    username: str,
    full_name: str | None,
    is_active: bool,
    author_created_at: datetime,
    author_updated_at: datetime,
) -> PostData:
    """Positional, in the order of the read side's columns: a row unpacks straight into it."""
    return {
        "id": post_id,
        "title": title,
        "content": content,
        "author_id": author_id,
        "is_published": is_published,
        "tags": tags,
        "created_at": created_at,
        "updated_at": updated_at,
        "author": {
            "id": author_id,
            "username": username,
            "full_name": full_name,
            "is_active": is_active,
            "created_at": author_created_at,
            "updated_at": author_updated_at,
        },
    }
