from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from kaira.auth.dependencies import optional_caller
from kaira.database.core import ReadDB
from kaira.openapi import list_responses
from kaira.pagination import PageDep
from kaira.responses import page_response
from kaira.tags import service
from kaira.tags.schemas import TagCount

router = APIRouter(prefix="/api/tags", tags=["tags"])


@router.get(
    "/",
    response_model=list[TagCount],
    dependencies=[Depends(optional_caller)],
    responses=list_responses(400, 401, 503),
)
async def list_tags(page: PageDep, db: ReadDB, request: Request) -> Response:
    """A token, if sent, must be valid, as everywhere; the cloud is the same for everyone."""
    return page_response(request, await service.list_tags(db, page))
