"""The workloads: which endpoint, which wrk script, and what the script needs to know about the data.

Kept apart from the runners so that `make bench` and `make bench-peers` measure the very same requests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote

from bench import dataset
from bench.dataset import DatasetSpec
from bench.wrk import Load


@dataclass(frozen=True)
class Workload:
    key: str
    """Stable name in the JSON records."""
    title: str
    """Name in the printed tables."""
    script: str
    path: str
    """The URL path on the command line; scripts that draw ids or values append to it."""
    read: bool = True
    values: tuple[str, ...] = ()
    """For pick_param.lua: the URL-encoded values drawn at random."""
    page_size: int | None = None
    """For lists: how many items a full page has (the probe checks the answer is not thinner)."""
    conditional: bool = False
    """Sent with `If-None-Match` and the answer's current ETag (conditional.lua): 304s, not 200s."""

    def sample_path(self) -> str:
        """One request of this workload, for a look at the answer before the load."""
        if self.values:
            return self.path + self.values[0]
        return self.path + "1" if self.path.endswith("/") and self.script != "static.lua" else self.path


GET_POST = Workload("get_post", "get a post", "get_post.lua", "/api/posts/")
GET_USER = Workload("get_user", "get a user", "get_user.lua", "/api/users/")
GET_ONE_POST = Workload("get_one_post", "get post 1", "static.lua", "/api/posts/1")
GET_ONE_POST_UNCHANGED = Workload(
    "get_one_post_304", "get post 1, unchanged (304)", "conditional.lua", "/api/posts/1", conditional=True
)
LIST_POSTS = Workload("list_posts", "list posts (20)", "static.lua", "/api/posts/?limit=20", page_size=20)
LIST_PUBLISHED = Workload(
    "list_published", "list published (20)", "static.lua", "/api/posts/published?limit=20", page_size=20
)
LIST_BY_TAG = Workload(
    "list_by_tag",
    "list by tag (20)",
    "pick_param.lua",
    "/api/posts/?limit=20&tag=",
    values=dataset.TAG_NAMES,
    page_size=20,
)
SEARCH = Workload(
    "search",
    "search (20)",
    "pick_param.lua",
    "/api/posts/?limit=20&q=",
    values=tuple(quote(word) for word in dataset.SEARCH_WORDS),
    page_size=20,
)
CREATE_POST = Workload("create_post", "create a post", "create_post.lua", "/api/posts/", read=False)
SIGN_UP = Workload("sign_up", "sign up", "signup.lua", "/api/users/", read=False)
LOGIN = Workload("login", "log in", "login.lua", "/api/auth/token", read=False)

KAIRA_SET = (
    GET_POST,
    GET_USER,
    GET_ONE_POST,
    GET_ONE_POST_UNCHANGED,
    LIST_POSTS,
    LIST_PUBLISHED,
    LIST_BY_TAG,
    SEARCH,
    CREATE_POST,
    SIGN_UP,
    LOGIN,
)
"""`make bench`: reads first, so that the rows the writes add never change what the reads measured."""

DATABASE_SET = (GET_POST, GET_USER, LIST_POSTS, LIST_PUBLISHED, LIST_BY_TAG, SEARCH, CREATE_POST)
"""`make bench --database sqlite`: the reads of the everyday data set, then the write with the most work."""

PEER_READS = (GET_POST, GET_USER, LIST_POSTS)
"""What both peers answer with Kaira's JSON shapes."""

STORM_CONNECTIONS = 8
"""Clients logging in without pause while get-a-post is measured."""


def load(
    workload: Workload,
    spec: DatasetSpec,
    *,
    connections: int,
    duration_s: int,
    token: str | None = None,
    path: str | None = None,
    etag: str | None = None,
) -> Load:
    """A wrk invocation for `workload` on data set `spec`; `path` replaces the workload's URL path."""
    env = script_env(spec, token=token, values=workload.values)
    if etag is not None:
        env["BENCH_ETAG"] = etag
    return Load(
        script=workload.script,
        path=path or workload.path,
        connections=connections,
        duration_s=duration_s,
        env=env,
    )


def script_env(
    spec: DatasetSpec, *, token: str | None = None, values: tuple[str, ...] = ()
) -> dict[str, str]:
    """What the Lua scripts read: the seeded ranges, the tags, the password, a fresh nonce per wrk run.

    The nonce is new for every wrk process, so the counters that make sign-ups unique never repeat a
    username, not even in a warm-up just before the measured run.
    """
    env = {
        "BENCH_USERS": str(spec.users),
        "BENCH_POSTS": str(spec.posts),
        "BENCH_DRAFT_EVERY": str(spec.draft_every),
        "BENCH_TAGS": ",".join(dataset.TAG_NAMES),
        "BENCH_PASSWORD": dataset.PASSWORD,
        "BENCH_NONCE": secrets.token_hex(4),
        "BENCH_SEED": str(dataset.SEED % 1000),
        "BENCH_TOKEN": token or "",
    }
    if values:
        env["BENCH_VALUES"] = ",".join(values)
    return env
