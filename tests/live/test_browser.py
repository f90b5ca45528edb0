"""An open comment frame in headless Chromium hears of other readers' comments."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import publisher  # noqa: F401 - a news site on its own origin
from tests.live.servers import (
    author_of,
    base_env,
    post_comment,
    prepare,
    serve,
    stop,
    townhall,
)

pytestmark = pytest.mark.browser

_ALLOW = """
from townhall.sites.models import Site
site = Site.objects.get(slug="paper")
site.allowed_origins = [*site.allowed_origins, {origin!r}]
site.save()
"""


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live-browser")
    env = base_env(tmp)
    tokens = prepare(env)
    server = serve(env, tmp / "server.log", workers=2)
    try:
        yield server.base, tokens, env
    finally:
        stop(server.proc)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    p = context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    context.close()
    assert not errors, f"errors in the browser console: {errors}"


def test_a_reader_sees_a_new_comment_behind_a_button_and_a_removed_one_go(
    page,
    paper,
    publisher,  # noqa: F811
):
    base, tokens, env = paper
    townhall(env, "shell", "-c", _ALLOW.format(origin=publisher.origin))
    # The publisher's article, on its own origin, with the embed as publishers paste it.
    publisher.pages["/harbour-lights"] = (
        "<h1>Harbour lights</h1>"
        '<div id="townhall" data-site="paper" data-story="harbour-lights"></div>'
        f'<script src="{base}/embed.js" async></script>'
    )
    first = post_comment(base, tokens["Rosa"], "harbour-lights", "The lights went up on Friday.")
    page.goto(publisher.origin + "/harbour-lights")
    frame_el = page.locator("#townhall iframe")
    frame = page.frame_locator("#townhall iframe")
    expect(frame.locator(f"#c{first['id']}")).to_contain_text("The lights went up on Friday.")
    expect(frame.locator("body")).to_have_attribute("data-live", "open")
    # Marks this very page: gone if anything reloads it.
    inner = frame_el.element_handle().content_frame()
    inner.evaluate("window.notReloaded = true")

    second = post_comment(base, tokens["Rosa"], "harbour-lights", "And a brass band played.")
    button = frame.get_by_role("button", name="1 new comment")
    expect(button).to_be_visible()
    # Not pushed under the reader: it waits for the click.
    expect(frame.get_by_text("And a brass band played.")).to_have_count(0)
    button.click()
    expect(frame.locator(f"#c{second['id']}")).to_contain_text("And a brass band played.")
    expect(button).to_be_hidden()
    expect(frame.locator("#status")).to_have_text("1 new comment shown.")

    # A moderator takes the first comment down: it leaves the open page by itself.
    r = httpx.post(
        f"{base}/api/v1/moderation/comments/{first['id']}",
        headers={"Authorization": f"Bearer {tokens['Mo']}"},
        json={"action": "reject", "guideline": "nice"},
    )
    assert r.status_code == 200, r.text
    expect(frame.locator(f"#c{first['id']}")).to_have_count(0)
    expect(frame.locator(f"#c{second['id']}")).to_be_visible()
    assert inner.evaluate("window.notReloaded") is True


def _reply(base: str, token: str, story: str, parent: int, body: str) -> dict:
    r = httpx.post(
        base + "/api/v1/comments",
        headers={"Authorization": f"Bearer {token}"},
        json={"site": "paper", "story": story, "body": body, "parent_id": parent},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_comments_by_a_muted_reader_are_not_counted_as_new(page, paper):
    base, tokens, env = paper
    story = "quiet-harbour"
    password = "harbour-master-1906"
    kai = townhall(
        env, "createuser", "Kai", "--email", "kai@paper.example", "--password", password,
        "--site", "paper", "--token",
    ).strip().splitlines()[-1]  # fmt: skip
    rosa_first = post_comment(base, tokens["Rosa"], story, "Rosa was here first.")
    mo_first = post_comment(base, tokens["Mo"], story, "Mo says the harbour is quiet.")
    # Kai muted Rosa some other day, in another tab: the frame has to ask.
    r = httpx.post(
        base + "/api/v1/me/mutes",
        headers={"Authorization": f"Bearer {kai}"},
        json={"site": "paper", "user_id": author_of(base, story, rosa_first["id"])},
    )
    assert r.status_code == 201, r.text

    # The frame on its own (signing in inside a cross-site iframe needs https); a tab
    # asks for a favicon, which the frame has no need of.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{base}/embed/?site=paper&story={story}")
    frame = page
    frame.locator("#login-email").fill("kai@paper.example")
    frame.locator("#login-password").fill(password)
    frame.locator("#login-password").press("Enter")
    expect(frame.locator(".whoami")).to_contain_text("Kai")
    # The thread is re-rendered for Kai by then: what arrives next is counted against it.
    expect(frame.locator("#status")).to_have_text("Welcome, Kai.")
    expect(frame.locator(f"#c{mo_first['id']}")).to_be_visible()
    expect(frame.locator(f"#c{rosa_first['id']}")).to_have_count(0)
    expect(frame.locator("body")).to_have_attribute("data-live", "open")

    # Rosa posts, and Mo answers Rosa's hidden comment: neither would show to Kai.
    post_comment(base, tokens["Rosa"], story, "Rosa again, muted.")
    _reply(base, tokens["Mo"], story, rosa_first["id"], "Mo, under Rosa's comment.")
    # Then one Kai would see, and a reply to it.
    mo_second = post_comment(base, tokens["Mo"], story, "Mo: the ferry is back.")
    _reply(base, tokens["Rosa"], story, mo_second["id"], "Rosa, under Mo's new comment.")
    _reply(base, tokens["Mo"], story, mo_first["id"], "Mo, under his own first comment.")

    button = frame.get_by_role("button", name="2 new comments")
    expect(button).to_be_visible()
    button.click()
    expect(frame.locator("#status")).to_have_text("2 new comments shown.")
    expect(frame.get_by_text("Mo: the ferry is back.")).to_be_visible()
    expect(frame.get_by_text("Mo, under his own first comment.")).to_be_visible()
    expect(frame.get_by_text("Rosa again, muted.")).to_have_count(0)
    expect(frame.get_by_text("Rosa, under Mo's new comment.")).to_have_count(0)
    expect(frame.get_by_text("Mo, under Rosa's comment.")).to_have_count(0)
