"""Every table, imported once so the metadata (and Alembic's autogenerate) sees the whole schema."""

from kaira.db import Base
from kaira.posts.models import Post
from kaira.tags.models import Tag, post_tags
from kaira.users.models import User

__all__ = ["Base", "Post", "Tag", "User", "post_tags"]
