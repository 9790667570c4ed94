"""The web page in a real browser: Debian's headless chromium, driven by Playwright, against `kaira serve`.

One served process on a fresh database of the run's server (SQLite file or PostgreSQL database) and one
browser per test module; each test gets a new browser context (its own sessionStorage), desktop or phone.
Screens are saved into `docs/screenshots/` as the tests pass through them.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from sqlalchemy.engine import URL

from tests.conftest import TEST_SECRET, Account
from tests.helpers_pg import REPO_ROOT, Server, clean_env, fresh_database, kaira_serve, plain

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
PASSWORD = "a long password 비밀"
_numbers = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_numbers)}"


@dataclass
class Site:
    """The served Kaira, and the API calls a test makes to set the scene (as another client would)."""

    server: Server

    @property
    def page_url(self) -> str:
        return f"{self.server.base_url}/static/"

    def api(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        return httpx2.request(method, self.server.base_url + path, timeout=10, **kwargs)

    def token(self, username: str, password: str = PASSWORD) -> str:
        answer = self.api("POST", "/api/auth/token", data={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def sign_up(self, prefix: str = "person") -> Account:
        """A new account, signed up and logged in through the API (each costs the service an Argon2
        hash, at the lowest priority behind the browser: the modules share two accounts)."""
        username = unique(prefix)
        body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        created = self.api("POST", "/api/users/", json=body)
        assert created.status_code == 201, created.text
        token = self.token(username)
        session_id = jwt.decode(token, options={"verify_signature": False})["sid"]
        return Account(created.json()["id"], username, body["email"], PASSWORD, token, session_id)

    @functools.cached_property
    def writer(self) -> Account:
        """One writer and one reader for the module's tests: each sign-up costs the service a hash."""
        return self.sign_up("writer")

    @functools.cached_property
    def reader(self) -> Account:
        return self.sign_up("reader")

    def write(self, author: Account, **fields: Any) -> dict[str, Any]:
        body = {"title": unique("Post "), "content": "Words.", "is_published": True, **fields}
        created = self.api("POST", "/api/posts/", json=body, headers=author.headers)
        assert created.status_code == 201, created.text
        post: dict[str, Any] = created.json()
        return post


@pytest.fixture(scope="module")
def site(db_url: URL, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("site")
    with fresh_database(db_url, directory) as url:
        # One address logs in over and over here: the abuse limits are tested elsewhere.
        env = clean_env(database_url=plain(url), secret_key=TEST_SECRET, rate_limits="false")
        with kaira_serve(env, directory) as server:
            server.wait_healthy(seconds=60)
            yield Site(server)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Browser]:
    """Fails, never skips, without chromium: CI must not pass without having run these tests."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Browsing:
    """One person's tab: the page, its device, what it showed that a person would notice."""

    page: Page
    device: str
    site: Site
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def go(self, route: str = "#/") -> None:
        self.page.goto(self.site.page_url + route)

    def shoot(self, name: str) -> None:
        self.page.screenshot(path=SCREENSHOTS / f"{name}-{self.device}.png", animations="disabled")

    def log_in(self, person: Account) -> None:
        self.go("#/login")
        self.page.get_by_label("Username or email").fill(person.username)
        self.page.get_by_label("Password").fill(person.password)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.get_by_role("heading", name="Your posts")).to_be_visible()

    def enter_as(self, person: Account) -> None:
        """Logged in without the form (the tests of the form use it): a session of its own, logged in
        through the API, so that this tab logging out never ends the account's other sessions; no
        refresh token, so an access token that goes bad leads to the log-in form."""
        self.go("#/")
        token = self.site.token(person.username, person.password)
        session = {"access_token": token, "user": {"id": person.id, "username": person.username}}
        self.page.evaluate("s => sessionStorage.setItem('kaira.session', JSON.stringify(s))", session)
        self.page.reload()
        self.go("#/me")
        expect(self.page.get_by_role("heading", name="Your posts")).to_be_visible()

    def log_out(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        expect(self.page.get_by_role("link", name="Log in")).to_be_visible()

    def heading(self, name: str | re.Pattern[str]) -> Any:
        return self.page.get_by_role("heading", name=name, level=1)


@pytest.fixture
def browsing(request: pytest.FixtureRequest, browser: Browser, site: Site) -> Iterator[Browsing]:
    """Desktop unless the test asks for `phone` (`indirect` parametrization)."""
    device = getattr(request, "param", "desktop")
    context = browser.new_context(
        viewport=VIEWPORTS[device],  # type: ignore[arg-type]
        is_mobile=device == "phone",
        has_touch=device == "phone",
        locale="en-US",
        timezone_id="UTC",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    tab = Browsing(page=page, device=device, site=site)

    def on_dialog(dialog: Dialog) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield tab
        assert tab.errors == [], f"the page threw: {tab.errors}"
    finally:
        context.close()


BOTH_DEVICES = pytest.mark.parametrize("browsing", ["desktop", "phone"], indirect=True)
