from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from kaira.auth.dependencies import optional_viewer
from kaira.db import SessionDep
from kaira.pagination import PageDep, set_next_link, split_page
from kaira.tags import service
from kaira.tags.schemas import TagCount

router = APIRouter(prefix="/api/tags", tags=["tags"])


@router.get("/", response_model=list[TagCount], dependencies=[Depends(optional_viewer)])
async def list_tags(
    page: PageDep, session: SessionDep, request: Request, response: Response
) -> list[TagCount]:
    rows, has_next = split_page(await service.list_tags(session, page), page.limit)
    if has_next:
        set_next_link(request, response, service.next_cursor(rows[-1]))
    return [TagCount(name=row.name, post_count=row.post_count) for row in rows]
