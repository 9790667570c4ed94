"""schemathesis hooks for `make fuzz` (loaded through `SCHEMATHESIS_HOOKS`; the driver sets the variables).

The fuzzer's bearer token: the run may rightly delete its own account or change its password, so the token
is fetched again every few seconds, under a new account when the old one no longer logs in.

A cursor is opaque: the only valid ones are those the service hands out in `Link` headers, so any other
string the document admits is rightly a 422. A case generated as valid ("positive") that carries a cursor
gets a real one, from the list it calls, read by the driver before the run (`FUZZ_CURSORS`); negative
cases keep their generated cursor, and must be refused.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

import requests
import schemathesis

BASE_URL = os.environ.get("FUZZ_BASE_URL", "")
PASSWORD = os.environ.get("FUZZ_PASSWORD", "")
CURSORS: dict[str, str] = json.loads(os.environ.get("FUZZ_CURSORS", "{}"))
_accounts = itertools.count(1)


@schemathesis.auth(refresh_interval=5)
class FuzzerAccount:
    username = "fuzzer"

    def get(self, case: Any, context: Any) -> str:
        answer = self._log_in()
        if answer.status_code != 200:  # deleted, or given another password, by the run itself
            FuzzerAccount.username = f"fuzzer{next(_accounts)}"
            account = {
                "username": self.username,
                "email": f"{self.username}@example.com",
                "password": PASSWORD,
            }
            requests.post(f"{BASE_URL}/api/users/", json=account, timeout=30).raise_for_status()
            answer = self._log_in()
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    def _log_in(self) -> requests.Response:
        form = {"username": self.username, "password": PASSWORD}
        return requests.post(f"{BASE_URL}/api/auth/token", data=form, timeout=30)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not case.query or "cursor" not in case.query:
        return
    if case.path in CURSORS:
        case.query["cursor"] = CURSORS[case.path]
