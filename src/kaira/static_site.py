"""The bundled web page (`/static/`), served with headers that keep a post from ever running as script.

The page renders Markdown that anyone may write. DOMPurify cleans it in the browser; the
Content-Security-Policy is the second wall behind it: only the page's own files may run (no inline
script, no inline event handler, no `javascript:` URL), nothing may be framed, and the page talks only
to its own origin. Every file under `/static/` gets the same headers, the page's modules included.
"""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",  # a post may show pictures from elsewhere; nothing else is loaded
        "connect-src 'self'",
        "object-src 'none'",
        "frame-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-cache"),  # revalidated (ETag) each time: a new release is seen at once
]


class SecurityHeaders:
    """A pure ASGI wrapper that adds `SECURITY_HEADERS` to every response of the app it wraps."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def static_site() -> ASGIApp:
    return SecurityHeaders(StaticFiles(directory=STATIC_DIR, html=True))
