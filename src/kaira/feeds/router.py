from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kaira.database.core import ReadDB
from kaira.feeds.atom import FeedLinks, atom_feed
from kaira.openapi import read_responses
from kaira.pagination import Page
from kaira.posts import service
from kaira.posts.schemas import PostFilter
from kaira.responses import conditional_response
from kaira.tags.schemas import TagName

router = APIRouter(tags=["feeds"])
FEED_SIZE = 20
ATOM_MEDIA_TYPE = "application/atom+xml"


@router.get(
    "/feed.xml",
    response_class=Response,
    responses=read_responses(503, content_type=ATOM_MEDIA_TYPE, description="An Atom 1.0 feed"),
)
async def feed(
    db: ReadDB,
    request: Request,
    tag: Annotated[TagName | None, Query(description="Only posts with this tag")] = None,
) -> Response:
    """The newest published posts, read as an anonymous reader reads them: drafts never appear."""
    where = PostFilter(published_only=True, tag=tag)
    page = Page(skip=0, limit=FEED_SIZE, cursor=None)
    posts = (await service.list_posts(db, page, caller=None, where=where)).items
    root = str(request.base_url)
    links = FeedLinks(feed_url=str(request.url), page_url=f"{root}static/", tag=tag)
    feed = atom_feed(posts, links)
    return conditional_response(request, feed, media_type=f"{ATOM_MEDIA_TYPE}; charset=utf-8")
