"""A reader on the demo article: reads, signs up, replies, follows a permalink."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path

import jwt
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "demo.png"
FRAME = "#townhall iframe"


def frame_height(page) -> float:
    return page.locator(FRAME).bounding_box()["height"]


def test_a_reader_signs_up_and_replies_in_the_iframe(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    expect(frame.locator("#count")).to_have_text("(1) comment")
    expect(frame.get_by_text("Welcome to the discussion.")).to_be_visible()
    # count.js filled the index snippet and the byline from one request.
    expect(page.locator('[data-townhall-count="library-thursday-evenings"]')).to_have_text(
        "2 comments"
    )
    expect(page.locator('[data-townhall-count="harvest-market-record"]')).to_have_text("0 comments")
    expect(page.locator(".byline [data-townhall-count]")).to_have_text("1 comment")
    page.wait_for_timeout(300)  # let the last resize message land
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    frame.get_by_label("Display name").fill("Sam Reader")
    frame.locator("#signup-email").fill("sam@example.com")
    frame.locator("#signup-password").fill("alder-creek-footbridge")
    frame.get_by_role("button", name="Sign up").click()
    expect(frame.get_by_text("Signed in as")).to_contain_text("Sam Reader")
    expect(frame.locator("#status")).to_have_text("Welcome, Sam Reader.")
    page.wait_for_timeout(300)
    before = frame_height(page)

    frame.get_by_role("button", name="Reply").first.click()
    frame.get_by_label("Reply to Marguerite P.").fill("Crossed it on my bike today. Lovely work.")
    frame.get_by_role("button", name="Post reply").click()

    reply = frame.locator(".replies .comment").filter(has_text="Crossed it on my bike today.")
    expect(reply).to_be_visible()
    expect(reply.locator(".author")).to_have_text("Sam Reader")
    expect(frame.locator("#count")).to_have_text("(2) comments")
    expect(page.locator(".byline [data-townhall-count]")).to_have_text("1 comment")  # no refresh
    page.wait_for_function(
        "h => document.querySelector('#townhall iframe').getBoundingClientRect().height > h",
        arg=before,
    )
    assert frame_height(page) > before


def test_an_error_from_the_api_is_read_out(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    frame.locator("#login-email").fill("nobody@example.com")
    frame.locator("#login-password").fill("not-the-password")
    frame.get_by_role("button", name="Log in").click()

    message = frame.locator('[data-form="login"] .msg')
    expect(message).to_have_text("Email or password is not right.")
    expect(message).to_have_attribute("aria-live", "polite")


def test_a_permalink_opens_the_thread_at_the_comment(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    link = frame.locator(".comment .time").first
    href = link.get_attribute("href")
    comment_id = re.search(r"comment=(\d+)", href).group(1)

    page.goto(f"{demo_server}/?comment={comment_id}")

    highlighted = frame.locator(f"#c{comment_id}.is-highlighted")
    expect(highlighted).to_be_visible()
    # The article page scrolled down to the comment, below the article.
    page.wait_for_function("window.scrollY > 400")
    frame.get_by_role("link", name="Show all comments").click()
    expect(frame.get_by_label("Sort by")).to_be_visible()
    expect(frame.locator(".is-highlighted")).to_have_count(0)


def test_report_from_the_keyboard_leads_a_signed_out_reader_to_log_in(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    frame.locator("#count").wait_for()
    report = frame.get_by_role("button", name="Report").first

    report.focus()
    page.keyboard.press("Enter")

    expect(frame.get_by_text("Log in or sign up below to report a comment.")).to_be_visible()
    expect(frame.locator("#login-email")).to_be_focused()


def test_the_demo_works_at_localhost_too(page, demo_server):
    page.goto(demo_server.replace("127.0.0.1", "localhost") + "/")

    expect(page.frame_locator(FRAME).locator("#count")).to_have_text(
        re.compile(r"\(\d+\) comments?")
    )


def test_the_iframe_reads_well_on_a_phone(browser, demo_server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    expect(frame.locator("#count")).to_be_visible()

    widths = frame.locator("html").evaluate("el => [el.scrollWidth, el.clientWidth]")
    context.close()
    assert widths[0] <= widths[1], "the comment frame scrolls sideways at 360px"


def test_a_publishers_reader_is_signed_in_by_their_token(page, server):
    port = server.url.rsplit(":", 1)[1]
    secret = "a-shared-secret-of-the-valley-herald-0123456789"
    server.townhall(
        "createsite",
        "herald",
        "--name",
        "Valley Herald",
        "--origin",
        f"http://127.0.0.1:{port}",
        "--sso-secret",
        secret,
    )
    token = jwt.encode(
        {"sub": "reader-77", "name": "Jo Herald", "aud": "herald", "exp": int(time.time()) + 600},
        secret,
        algorithm="HS256",
    )
    article = f"{server.url}/publisher/sso-article"
    page.route(
        article,
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                "<!doctype html><title>Herald</title><h1>A Herald story</h1>"
                f'<div id="townhall" data-site="herald" data-story="sso-story" '
                f'data-sso-token="{token}"></div>'
                f'<script src="{server.url}/embed.js" async></script>'
            ),
        ),
    )

    page.goto(article)

    frame = page.frame_locator(FRAME)
    expect(frame.get_by_text("Signed in as")).to_contain_text("Jo Herald")
    expect(frame.locator("#login-email")).to_have_count(0)
    assert token not in page.locator(FRAME).get_attribute("src")


def test_a_reader_likes_reports_edits_and_deletes(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    frame.locator("#signup-name").fill("Kim Fairweather")
    frame.locator("#signup-email").fill("kim@example.com")
    frame.locator("#signup-password").fill("valley-herald-kim")
    frame.get_by_role("button", name="Sign up").click()
    expect(frame.get_by_text("Signed in as")).to_contain_text("Kim Fairweather")
    expect(frame.locator("#status")).to_have_text("Welcome, Kim Fairweather.")
    demo_comment = frame.locator(".comments > .comment").filter(has_text="Marguerite P.").first

    like = demo_comment.locator("> article .like")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator(".like-count")).to_have_text("1")

    demo_comment.locator("> article").get_by_role("button", name="Report").click()
    demo_comment.get_by_label("Be Nice").check()
    demo_comment.get_by_role("button", name="Send report").click()
    expect(demo_comment.get_by_text("Our moderators will look at this comment.")).to_be_visible()

    frame.get_by_label("Join the discussion").fill("A first draft of my commment.")
    frame.get_by_role("button", name="Post comment").click()
    mine = frame.locator(".comment").filter(has_text="Kim Fairweather").first
    expect(mine).to_contain_text("A first draft of my commment.")
    # The frame focuses the new comment and scrolls the page to it once the thread is
    # re-rendered: only then is the Edit button where it stays.
    expect(mine.locator("> article")).to_be_focused()
    mine.get_by_role("button", name="Edit").click()
    box = mine.get_by_label("Edit your comment")
    expect(box).to_have_value("A first draft of my commment.")
    box.fill("A first draft of my comment, spelt right.")
    mine.get_by_role("button", name="Save").click()
    expect(mine).to_contain_text("spelt right")
    expect(mine).to_contain_text("edited")
    # Said once the frame has re-rendered the thread and scrolled the page to the
    # comment; a click before that could land where the button no longer is.
    expect(mine).to_contain_text("Your comment was updated.")

    page.once("dialog", lambda d: d.accept())
    mine.get_by_role("button", name="Delete").click()
    expect(frame.get_by_text("Your comment was deleted.")).to_be_visible()
    expect(frame.get_by_text("spelt right")).to_have_count(0)


def test_a_publisher_on_another_origin_embeds_and_counts(page, server, publisher):
    publisher.pages["/front-page"] = (
        '<p>Tonight <span data-townhall-count="council-tonight">…</span></p>'
        '<p>Weather <span data-townhall-count="weekend-weather">…</span></p>'
        '<div id="townhall" data-site="gazette" data-story="council-tonight"></div>'
        f'<script src="{server.url}/embed.js" async></script>'
        f'<script src="{server.url}/count.js" data-site="gazette" async></script>'
    )
    server.townhall("createsite", "gazette", "--name", "Gazette", "--origin", publisher.origin)

    page.goto(publisher.origin + "/front-page")

    # count.js reached townhall across origins (CORS for the site's origin), once.
    expect(page.locator('[data-townhall-count="weekend-weather"]')).to_have_text("0 comments")
    expect(page.frame_locator(FRAME).locator("#count")).to_have_text("(0) comments")
    src = page.locator(FRAME).get_attribute("src")
    assert src.startswith(server.url + "/embed/?site=gazette&story=council-tonight")
    assert "url=http%3A%2F%2Flocalhost" in src  # the page's own address by default


def test_a_page_on_an_origin_not_allowed_cannot_frame_it(browser, demo_server, publisher):
    publisher.pages["/elsewhere"] = (
        '<div id="townhall" data-site="demo" data-story="mill-lane-footbridge-reopens"></div>'
        f'<script src="{demo_server}/embed.js" async></script>'
    )
    context = browser.new_context()
    page = context.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)

    page.goto(publisher.origin + "/elsewhere")
    page.locator(FRAME).wait_for(state="attached")
    page.wait_for_timeout(1000)

    assert page.frame_locator(FRAME).locator("#count").count() == 0
    assert refused, "Chromium did not report the frame-ancestors refusal"
    context.close()


# --- check before posting, Share with Us ----------------------------------------------


def sign_up(frame, name: str, email: str) -> None:
    frame.locator("#signup-name").fill(name)
    frame.locator("#signup-email").fill(email)
    frame.locator("#signup-password").fill("mill-lane-footbridge-1911")
    frame.get_by_role("button", name="Sign up").click()
    expect(frame.get_by_text("Signed in as")).to_contain_text(name)
    # Said once the thread and the comment box are both re-rendered for the reader,
    # and the page scrolled to say it: a click before that may land on the old thread.
    expect(frame.locator("#status")).to_have_text(f"Welcome, {name}.")


@pytest.fixture(scope="module")
def desk_token(server) -> str:
    """An API token of a moderator of the demo site, to see what reached the newsroom."""
    out = server.townhall(
        "createuser",
        "Courier Desk",
        "--email",
        "desk@courier.example",
        "--role",
        "moderator",
        "--site",
        "demo",
        "--token",
    )
    return out.strip().splitlines()[-1]


def call(server, token: str, method: str, path: str, body: dict | None = None) -> dict:
    """One JSON API call to the demo server with a bearer token (no CSRF needed)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - our own server, over http
        server.url + path, data=data, method=method, headers=headers
    )
    with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
        return json.loads(r.read())


def newsroom(server, token: str, path: str) -> dict:
    return call(server, token, "GET", path)


INSULT = "You are a pathetic moron"
# A word the demo site's moderators asked to look at: held under Keep it Clean by the
# site's own word list, whatever the classifier's model of the day makes of it.
SUSPECT = "grumblewort"


@pytest.fixture(scope="module")
def suspect_word(server, desk_token) -> str:
    changed = call(
        server,
        desk_token,
        "PATCH",
        "/api/v1/moderation/settings?site=demo",
        {"suspect_words": [SUSPECT]},
    )
    assert SUSPECT in changed["suspect_words"]
    return SUSPECT


def mine_by(frame, name: str):
    return frame.locator(".comment").filter(has=frame.locator(".author", has_text=name))


def test_an_insult_is_nudged_under_be_nice_before_it_is_posted(page, server):
    # A site on the engine's default thresholds (the demo site has the classifier off).
    port = server.url.rsplit(":", 1)[1]
    server.townhall(
        "createsite", "ledger", "--name", "Valley Ledger", "--origin", f"http://127.0.0.1:{port}"
    )
    token = server.townhall(
        "createuser",
        "Ledger Desk",
        "--email",
        "desk@ledger.example",
        "--role",
        "moderator",
        "--site",
        "ledger",
        "--token",
    )
    verdict = call(
        server,
        token.strip().splitlines()[-1],
        "POST",
        "/api/v1/moderation/check",
        {"site": "ledger", "body": INSULT},
    )
    assert verdict["decision"] != "published" and any(
        r["guideline"] == "nice" for r in verdict["reasons"]
    ), f"the moderation engine lets {INSULT!r} through, so there is no nudge to test: {verdict}"
    article = f"{server.url}/publisher/ledger-article"
    page.route(
        article,
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                "<!doctype html><title>Ledger</title><h1>A Ledger story</h1>"
                '<div id="townhall" data-site="ledger" data-story="ledger-story"></div>'
                f'<script src="{server.url}/embed.js" async></script>'
            ),
        ),
    )
    page.goto(article)
    frame = page.frame_locator(FRAME)
    sign_up(frame, "Rob Quarrel", "rob@example.com")
    box = frame.get_by_label("Join the discussion")
    box.fill(INSULT)
    frame.get_by_role("button", name="Post comment").click()

    nudge = frame.locator("#compose .nudge")
    expect(nudge.locator(".nudge-text")).to_contain_text("This may break Be Nice")
    expect(nudge.locator(".nudge-text strong").first).to_have_text("Be Nice")
    expect(nudge.locator("mark").first).to_contain_text("moron")
    expect(nudge.get_by_role("button", name="Edit")).to_be_focused()

    # Edit: nothing is posted, and the reader is back in their text.
    nudge.get_by_role("button", name="Edit").click()
    expect(nudge).to_have_count(0)
    expect(box).to_be_focused()
    expect(box).to_have_value(INSULT)
    mine = mine_by(frame, "Rob Quarrel")
    expect(mine).to_have_count(0)

    # Post anyway: stored, and shown to its author as held, naming the guideline.
    frame.get_by_role("button", name="Post comment").click()
    nudge.get_by_role("button", name="Post anyway").click()
    expect(mine).to_have_count(1)
    expect(mine.locator(".pending-note")).to_contain_text("Be Nice")
    expect(mine.locator("> article > .msg")).to_contain_text("Be Nice")
    expect(box).to_have_value("")


def test_the_nudge_names_the_guideline_marks_the_word_and_posts_only_when_asked(
    page, server, suspect_word
):
    page.goto(server.url + "/")
    frame = page.frame_locator(FRAME)
    sign_up(frame, "Pat Draft", "pat@example.com")
    text = f"The <b>railings</b> are {suspect_word}, frankly."
    box = frame.get_by_label("Join the discussion")
    box.fill(text)
    frame.get_by_role("button", name="Post comment").click()

    nudge = frame.locator("#compose .nudge")
    expect(nudge).to_be_visible()
    expect(nudge.locator(".nudge-text")).to_contain_text("This may break Keep it Clean (")
    expect(nudge.locator(".nudge-text")).to_contain_text("Edit it, or post anyway?")
    expect(nudge.locator(".nudge-text strong").first).to_have_text("Keep it Clean")
    expect(nudge.locator("mark")).to_have_text(suspect_word)
    # The reader's text is quoted as text, never as markup.
    expect(nudge.locator(".nudge-preview")).to_have_text(text)
    expect(nudge.locator(".nudge-preview b")).to_have_count(0)
    expect(nudge.get_by_role("button", name="Edit")).to_be_focused()

    nudge.get_by_role("button", name="Edit").click()
    expect(nudge).to_have_count(0)
    expect(box).to_be_focused()
    expect(box).to_have_value(text)
    mine = mine_by(frame, "Pat Draft")
    expect(mine).to_have_count(0)

    frame.get_by_role("button", name="Post comment").click()
    nudge.get_by_role("button", name="Post anyway").click()
    expect(mine).to_have_count(1)
    expect(mine.locator(".pending-note")).to_contain_text("Awaiting review under Keep it Clean")
    expect(mine.locator("> article > .msg")).to_contain_text("held for review under Keep it Clean")
    expect(mine.locator(".text")).to_contain_text("The <b>railings</b> are")
    expect(box).to_have_value("")
    expect(frame.locator(".nudge")).to_have_count(0)

    # Nobody else sees it.
    other = page.context.browser.new_context()
    try:
        stranger = other.new_page()
        stranger.goto(server.url + "/")
        theirs = stranger.frame_locator(FRAME)
        expect(theirs.locator("#count")).to_be_visible()
        expect(theirs.get_by_text("railings</b> are")).to_have_count(0)
    finally:
        other.close()


def test_a_kind_comment_posts_without_a_nudge(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    sign_up(frame, "Ada Kindly", "ada@example.com")

    frame.get_by_label("Join the discussion").fill(
        "Thank you to the woodwork class, it looks great."
    )
    frame.get_by_role("button", name="Post comment").click()

    mine = mine_by(frame, "Ada Kindly")
    expect(mine).to_contain_text("it looks great")
    expect(mine.locator(".pending-note")).to_have_count(0)
    expect(frame.locator(".nudge")).to_have_count(0)


def test_a_reply_is_nudged_and_an_open_reply_box_survives_another_action(
    page, demo_server, suspect_word
):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    sign_up(frame, "Lou Draft", "lou@example.com")
    demo_comment = frame.locator(".comments > .comment").filter(has_text="Marguerite P.").first
    demo_comment.locator("> article").get_by_role("button", name="Reply").click()
    reply_box = demo_comment.get_by_label("Reply to Marguerite P.")
    reply_box.fill(f"Such {suspect_word} talk")
    demo_comment.get_by_role("button", name="Post reply").click()
    expect(demo_comment.locator(".nudge")).to_contain_text("Keep it Clean")
    demo_comment.get_by_role("button", name="Edit").click()
    reply_box.fill("A half-written thought about the railings")

    # Posting a comment of one's own refreshes the thread; the reply box stays open.
    frame.get_by_label("Join the discussion").fill("The plaque is a lovely idea.")
    frame.get_by_role("button", name="Post comment").click()
    expect(frame.locator(".comment").filter(has_text="The plaque is a lovely idea.")).to_have_count(
        1
    )
    expect(demo_comment.get_by_label("Reply to Marguerite P.")).to_have_value(
        "A half-written thought about the railings"
    )


def test_a_signed_out_reader_shares_a_tip_with_the_newsroom(page, server, desk_token):
    page.goto(server.url + "/")
    frame = page.frame_locator(FRAME)
    toggle = frame.get_by_role("button", name="Share with the newsroom")
    expect(toggle).to_have_attribute("aria-expanded", "false")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    form = frame.locator("#share-form")
    expect(form).to_contain_text("It is not published.")
    expect(form).to_contain_text("You are not signed in")
    expect(frame.get_by_label("What did you see, or what should we know?")).to_be_focused()
    frame.get_by_label("What did you see, or what should we know?").fill(
        "My grandfather helped paint the bridge in 1962; I have photographs."
    )
    frame.get_by_label("How can we reach you?").fill("jo.photos@example.com")
    frame.get_by_role("button", name="Send privately").click()

    expect(frame.get_by_text("Thank you. The newsroom will read this.")).to_be_visible()
    expect(form).to_be_hidden()
    expect(toggle).to_be_focused()
    tips = newsroom(server, desk_token, "/api/v1/moderation/tips?site=demo")["tips"]
    tip = next(t for t in tips if "helped paint the bridge" in t["body"])
    assert tip["contact"] == "jo.photos@example.com"
    assert tip["story"] == "mill-lane-footbridge-reopens"
    assert tip["comment_id"] is None
    # Private: the tip is nowhere in the discussion.
    expect(frame.get_by_text("helped paint the bridge")).to_have_count(0)


def test_a_reader_marks_their_comment_as_an_eyewitness_account(page, server, desk_token):
    page.goto(server.url + "/")
    frame = page.frame_locator(FRAME)
    sign_up(frame, "Eve Witness", "eve@example.com")
    frame.get_by_label("Join the discussion").fill(
        "I was there on Monday when the last deck board went in."
    )
    frame.get_by_role("button", name="Post comment").click()
    mine = mine_by(frame, "Eve Witness")
    expect(mine).to_have_count(1)
    expect(mine.locator("> article")).to_be_focused()  # posted, and scrolled to

    mine.get_by_role("button", name="Mark as eyewitness account").click()

    expect(mine.get_by_text("Sent to the newsroom")).to_be_visible()
    expect(mine.get_by_role("button", name="Mark as eyewitness account")).to_have_count(0)
    comment_id = int(mine.get_attribute("data-id"))
    tips = newsroom(server, desk_token, "/api/v1/moderation/tips?site=demo")["tips"]
    assert any(t["comment_id"] == comment_id for t in tips)
    # It stays marked when the page is loaded again.
    page.reload()
    expect(mine.get_by_text("Sent to the newsroom")).to_be_visible()


SEED_LONG_THREAD = """
from django.test import override_settings
from townhall.accounts.models import User
from townhall.comments.services import NewComment, post_comment
from townhall.sites.models import Site

site = Site.objects.get(slug="demo")
user = User.objects.get(email="reader2@readers.demo.invalid")
with override_settings(TOWNHALL_POST_RATE=1000, TOWNHALL_DUPLICATE_WINDOW=0):
    for i in range(55):
        post_comment(NewComment(site=site, story_key="long-thread", body=f"Long thread {i}.",
                                user=user, story_title="A long thread"))
"""


def test_after_posting_the_reader_keeps_their_place_and_their_open_reply(page, server):
    server.townhall("shell", "-c", SEED_LONG_THREAD)
    article = f"{server.url}/publisher/long-thread"
    page.route(
        article,
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                "<!doctype html><title>Long</title><h1>A long thread</h1>"
                '<div id="townhall" data-site="demo" data-story="long-thread"></div>'
                f'<script src="{server.url}/embed.js" async></script>'
            ),
        ),
    )
    page.goto(article)
    frame = page.frame_locator(FRAME)
    sign_up(frame, "Max Scroller", "max@example.com")
    top = frame.locator("#comment-list > li.comment")
    expect(top).to_have_count(50)
    frame.get_by_role("button", name="Show more comments").click()
    expect(top).to_have_count(55)
    oldest = top.filter(has_text="Long thread 0.")
    oldest.get_by_role("button", name="Reply").click()
    oldest.get_by_label("Reply to Tom Ashby").fill("Half a thought, not sent yet")

    frame.get_by_label("Join the discussion").fill("Reading all the way to the bottom.")
    frame.get_by_role("button", name="Post comment").click()

    expect(top.first).to_contain_text("Reading all the way to the bottom.")
    expect(top).to_have_count(56)
    expect(oldest.get_by_label("Reply to Tom Ashby")).to_have_value("Half a thought, not sent yet")
    expect(frame.get_by_role("button", name="Show more comments")).to_have_count(0)


def test_a_reader_renames_changes_password_mutes_and_unmutes(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    sign_up(frame, "Pat Settings", "pat.settings@example.com")
    frame.get_by_role("button", name="Settings", exact=True).click()
    frame.locator("#settings-name").fill("Pat S.")
    frame.get_by_role("button", name="Change name").click()
    expect(frame.get_by_text("Your comments now show Pat S.")).to_be_visible()
    expect(frame.locator(".whoami strong")).to_have_text("Pat S.")

    frame.locator("#settings-current").fill("wrong password")
    frame.locator("#settings-new").fill("a-new-bridge-password")
    frame.get_by_role("button", name="Change password").click()
    expect(frame.get_by_text("The current password is not right.")).to_be_visible()
    page.console_errors.clear()  # the refused change logged its 403, as it should
    frame.locator("#settings-current").fill("mill-lane-footbridge-1911")
    frame.locator("#settings-new").fill("a-new-bridge-password")
    frame.get_by_role("button", name="Change password").click()
    expect(frame.get_by_text("Your password is changed.")).to_be_visible()

    demo_comment = frame.locator(".comments > .comment").filter(has_text="Marguerite P.").first
    page.once("dialog", lambda d: d.accept())
    demo_comment.locator("> article").get_by_role("button", name="Mute").click()
    expect(frame.get_by_text("You will no longer see comments by Marguerite P.")).to_be_visible()
    expect(frame.locator(".comment").filter(has_text="Marguerite P.")).to_have_count(0)

    frame.get_by_role("button", name="Settings", exact=True).click()  # close
    frame.get_by_role("button", name="Settings", exact=True).click()  # open again: the list reloads
    muted = frame.locator("#muted-list")
    expect(muted).to_contain_text("Marguerite P.")
    muted.get_by_role("button", name="Unmute").click()
    expect(frame.get_by_text("Their comments are shown again.")).to_be_visible()
    expect(frame.locator(".comment").filter(has_text="Marguerite P.").first).to_be_visible()
