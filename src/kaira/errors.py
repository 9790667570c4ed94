"""Domain errors, each knowing its HTTP status; `main` turns them into responses in one place."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}


class BadRequest(DomainError):
    status_code = 400


class Conflict(DomainError):
    """A uniqueness rule was broken; the contract keeps the original design's 400 for it."""

    status_code = 400


class NotAuthenticated(DomainError):
    status_code = 401
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class InvalidCursor(DomainError):
    """A 422 in FastAPI's shape, like every other 422: found while reading the list, not by the schema."""

    status_code = 422

    def body(self) -> dict[str, Any]:
        return {"detail": [{"loc": ["query", "cursor"], "msg": self.detail, "type": "cursor_invalid"}]}
