"""A writer and readers on the web page, as people use it: found by role and label, on desktop and phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.conftest import BOTH_DEVICES, PASSWORD, Browsing, Site, unique

FOCUSED_NAME = "(document.activeElement.labels?.[0] ?? document.activeElement).innerText"


@BOTH_DEVICES
def test_a_writer_publishes_in_korean_and_a_reader_finds_it(browsing: Browsing) -> None:
    page, name, number = browsing.page, unique("writer"), unique("")
    title, tag = f"서울의 가을 {number}", f"여행{number}"
    browsing.go()
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    browsing.shoot("sign-up")
    page.get_by_role("button", name="Sign up").click()
    expect(browsing.heading("Your posts")).to_be_visible()
    expect(page.get_by_text("You have not written anything yet.")).to_be_visible()

    page.get_by_role("link", name="Write", exact=True).click()
    page.get_by_label("Title").fill(title)
    content = f"## 단풍 {number}\n\n**북한산{number}**에 갔습니다. Autumn in Seoul."
    page.get_by_label("Content (Markdown)").fill(content)
    page.get_by_label("Tags").fill(f"{tag}, Travel")
    preview = page.get_by_role("region", name="Preview")
    expect(preview.get_by_role("heading", name=f"단풍 {number}")).to_be_visible()  # live, before saving
    expect(preview.locator("strong")).to_have_text(f"북한산{number}")
    browsing.shoot("editor")
    page.get_by_role("button", name="Publish", exact=True).click()

    expect(browsing.heading(title)).to_be_visible()
    expect(page.get_by_role("link", name=f"#{tag}")).to_be_visible()
    expect(page.get_by_role("link", name="#travel")).to_be_visible()  # stored lower-case
    browsing.shoot("post")
    browsing.log_out()
    expect(page.get_by_role("link", name=title)).to_be_visible()  # on the newest posts, as a reader
    browsing.shoot("home")

    page.get_by_label("Search posts").fill(f"북한산{number}")
    page.get_by_role("button", name="Search").click()
    expect(browsing.heading(f"Search: 북한산{number}")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(1)
    browsing.shoot("search")
    page.get_by_role("link", name=f"#{tag}").click()
    expect(browsing.heading(f"Posts tagged #{tag}")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(1)
    page.get_by_role("link", name=title).click()
    expect(browsing.heading(title)).to_be_visible()
    assert re.search(r"#/posts/\d+$", page.url)

    shared = page.context.new_page()  # the address alone opens the post: it can be shared
    shared.goto(page.url)
    expect(shared.get_by_role("heading", name=title, level=1)).to_be_visible()
    shared.close()
    page.go_back()
    expect(browsing.heading(f"Posts tagged #{tag}")).to_be_visible()
    page.go_back()
    expect(browsing.heading(f"Search: 북한산{number}")).to_be_visible()
    expect(page.get_by_label("Search posts")).to_have_value(f"북한산{number}")

    page.get_by_role("link", name=name, exact=True).click()  # the author's posts
    expect(browsing.heading(f"Posts by {name}")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(1)


@BOTH_DEVICES
def test_a_draft_never_shows_to_another_person(browsing: Browsing, site: Site) -> None:
    page, writer, reader = browsing.page, site.writer, site.reader
    secret = unique("unpublishedword")
    browsing.enter_as(writer)
    page.get_by_role("link", name="Write", exact=True).click()
    page.get_by_label("Title").fill(f"Not yet {secret}")
    page.get_by_label("Content (Markdown)").fill(f"Half a thought: {secret}")
    page.get_by_role("button", name="Save as draft").click()
    expect(browsing.heading(f"Not yet {secret}")).to_be_visible()
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    draft_route = "#" + page.url.split("#", 1)[1]
    page.get_by_role("link", name="My posts").click()
    mine = page.get_by_role("article").filter(has_text=secret)
    expect(mine.get_by_text("Draft", exact=True)).to_be_visible()
    browsing.shoot("my-posts")
    browsing.log_out()

    browsing.enter_as(reader)
    browsing.go("#/")
    expect(browsing.heading("Newest posts")).to_be_visible()
    expect(page.get_by_text(secret)).to_have_count(0)
    page.get_by_label("Search posts").fill(secret)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text(f"Nothing matches “{secret}”. Try fewer or other words.")).to_be_visible()
    browsing.go(draft_route)
    expect(browsing.heading("Post not found")).to_be_visible()
    browsing.go(f"#/authors/{writer.id}")
    expect(browsing.heading(f"Posts by {writer.username}")).to_be_visible()
    expect(page.get_by_text("Loading posts…")).to_be_hidden()
    expect(page.get_by_text(secret)).to_have_count(0)


def test_older_posts_follow_the_link_cursor(browsing: Browsing, site: Site) -> None:
    writer, tag = site.writer, unique("paged")
    for number in range(12):
        site.write(writer, title=f"Paged {number:02}", tags=[tag])
    page = browsing.page
    browsing.go(f"#/tags/{tag}")

    expect(page.get_by_role("article")).to_have_count(10)
    expect(page.get_by_role("article").first).to_contain_text("Paged 11")  # newest first
    page.get_by_role("button", name="Older posts").click()

    expect(page.get_by_role("article")).to_have_count(12)
    expect(page.get_by_role("article").last).to_contain_text("Paged 00")
    expect(page.get_by_role("button", name="Older posts")).to_be_hidden()
    expect(page.get_by_role("link", name="Paged 01")).to_be_focused()  # the first of the new page


def test_refusals_appear_beside_their_fields(browsing: Browsing, site: Site) -> None:
    page, taken = browsing.page, site.writer
    browsing.go("#/signup")
    page.get_by_label("Username").fill(taken.username)
    page.get_by_label("Email").fill(f"new-{taken.username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_label("Username")).to_have_accessible_description(re.compile("Username already taken"))
    expect(page.get_by_label("Username")).to_be_focused()

    page.get_by_label("Username").fill(unique("fresh"))
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_label("Password")).to_have_accessible_description(re.compile("at least 8 characters"))
    browsing.shoot("sign-up-refused")

    browsing.enter_as(taken)
    browsing.go("#/write")
    page.get_by_label("Title").fill("가" * 201)
    page.get_by_label("Content (Markdown)").fill("Body")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_label("Title")).to_have_accessible_description(re.compile("at most 200 characters"))
    expect(page.get_by_role("status").filter(has_text="Please correct")).to_be_visible()


def test_a_wrong_password_is_said_under_the_form(browsing: Browsing, site: Site) -> None:
    person, page = site.reader, browsing.page
    browsing.go("#/login")
    page.get_by_label("Username or email").fill(person.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Incorrect username or password")).to_be_visible()
    browsing.shoot("log-in-refused")


@BOTH_DEVICES
def test_a_writer_edits_and_deletes_their_post_after_confirming(browsing: Browsing, site: Site) -> None:
    page, writer = browsing.page, site.writer
    post = site.write(writer, title="처음 제목", content="본문", tags=["edit"])
    browsing.enter_as(writer)
    browsing.go(f"#/posts/{post['id']}")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Title")).to_have_value("처음 제목")
    page.get_by_label("Title").fill("고친 제목")
    page.get_by_role("button", name="Publish changes").click()
    expect(browsing.heading("고친 제목")).to_be_visible()

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete this post?")
    expect(dialog).to_be_visible()
    browsing.shoot("delete-confirm")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert site.api("GET", f"/api/posts/{post['id']}").status_code == 200

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete post").click()
    expect(page.get_by_text("Deleted “고친 제목”.")).to_be_visible()
    expect(browsing.heading("Your posts")).to_be_visible()
    assert site.api("GET", f"/api/posts/{post['id']}").status_code == 404


def test_someone_elses_post_offers_no_edit_or_delete(browsing: Browsing, site: Site) -> None:
    post = site.write(site.writer, title="Theirs")
    browsing.enter_as(site.reader)
    browsing.go(f"#/posts/{post['id']}")
    expect(browsing.heading("Theirs")).to_be_visible()
    expect(browsing.page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(browsing.page.get_by_role("button", name="Delete", exact=True)).to_have_count(0)


def test_sign_in_and_publish_with_the_keyboard_alone(browsing: Browsing, site: Site) -> None:
    person, page = site.writer, browsing.page
    browsing.go()
    expect(browsing.heading("Newest posts")).to_be_visible()

    def tab_to(name: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "(document.activeElement.labels?.[0] ?? document.activeElement).innerText"
            )
            if focused.strip() == name:
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"{name} shows no focus"
                return
        raise AssertionError(f"Tab never reached {name!r}")

    tab_to("Log in")
    page.keyboard.press("Enter")
    tab_to("Username or email")
    page.keyboard.type(person.username)
    page.keyboard.press("Tab")
    page.keyboard.type(person.password)
    page.keyboard.press("Enter")
    expect(browsing.heading("Your posts")).to_be_visible()
    tab_to("Write a post")
    page.keyboard.press("Enter")
    tab_to("Title")
    page.keyboard.type("키보드로 쓴 글")
    page.keyboard.press("Tab")
    page.keyboard.type("마우스 없이 Enter 만으로.")
    tab_to("Publish")
    page.keyboard.press("Enter")
    expect(browsing.heading("키보드로 쓴 글")).to_be_visible()


def test_empty_states_and_unknown_addresses_say_what_happened(browsing: Browsing) -> None:
    page = browsing.page
    browsing.go("#/search?q=없는말zzq")
    expect(page.get_by_text("Nothing matches “없는말zzq”. Try fewer or other words.")).to_be_visible()
    browsing.shoot("search-empty")
    browsing.go("#/posts/987654")
    expect(browsing.heading("Post not found")).to_be_visible()
    browsing.go("#/authors/987654")
    expect(browsing.heading("No such author")).to_be_visible()
    browsing.go("#/nowhere")
    expect(browsing.heading("Page not found")).to_be_visible()
    browsing.go("#/write")
    expect(browsing.heading("Log in")).to_be_visible()
    expect(page.get_by_text("Log in to write a post.")).to_be_visible()


def test_a_refusal_for_too_many_attempts_says_when_to_try_again(browsing: Browsing, site: Site) -> None:
    """Played by the browser's router: the limits are another issue's, and a real 429 takes many logins."""
    page = browsing.page
    limited = {"detail": "Too many requests"}
    page.route(
        "**/api/auth/token",
        lambda route: route.fulfill(status=429, json=limited, headers={"Retry-After": "30"}),
    )
    browsing.go("#/login")
    page.get_by_label("Username or email").fill("anyone")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_text(re.compile(r"Too many attempts\. Try again in 30 seconds \(at .+\)\."))
    ).to_be_visible()


def test_a_service_without_its_database_is_said_so(browsing: Browsing) -> None:
    unavailable = {"detail": "Database unavailable"}
    browsing.page.route("**/api/posts/published*", lambda route: route.fulfill(status=503, json=unavailable))
    browsing.go("#/")
    expect(
        browsing.page.get_by_text("Could not load posts: The service cannot reach its database")
    ).to_be_visible()
