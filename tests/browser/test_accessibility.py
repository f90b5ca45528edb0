"""axe-core finds no serious or critical problem, and every control works by keyboard.

axe-core is vendored in tests/vendor (tests only). Contexts bypass the frame's CSP,
which would otherwise refuse the injected axe script.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
FRAME = "#townhall iframe"
STORY = "mill-lane-footbridge-reopens"
PASSWORD = "alder-creek-footbridge"


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, bypass_csp=True)
    p = context.new_page()
    yield p
    context.close()


def serious_violations(frame) -> list[str]:
    """axe-core's serious and critical findings in one document (page or iframe)."""
    frame.add_script_tag(path=str(AXE))
    results = frame.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def inner(page):
    handle = page.locator(FRAME).element_handle()
    return handle.content_frame()


def sign_up(frame_locator, name: str) -> None:
    frame_locator.locator("#signup-name").fill(name)
    frame_locator.locator("#signup-email").fill(f"{uuid.uuid4().hex[:10]}@example.com")
    frame_locator.locator("#signup-password").fill(PASSWORD)
    frame_locator.locator("#signup-password").press("Enter")
    expect(frame_locator.locator(".whoami")).to_contain_text(name)


# Every page a desk can reach, with something on it: a card of each kind (reasons with
# marked words, readers' reports, scores), decisions in the audit log, a tip, a claim,
# an appeal, and a webhook delivery that failed once.
SEED = """
from datetime import timedelta
from django.utils import timezone
from townhall.accounts.models import Membership, User
from townhall.comments.models import Comment
from townhall.reports.models import Report
from townhall.review.models import Appeal, AuditEntry, DebunkedClaim, Tip
from townhall.sites.models import Site, Story
from townhall.webhooks.models import Attempt, Delivery, Endpoint, Event

site = Site.objects.get(slug="demo")
story = Story.objects.get(site=site, key="mill-lane-footbridge-reopens")
now = timezone.now()
desk = User.objects.get(email="axe-admin@example.org")
site.suspect_words = ["grumblewort"]
site.save()
readers = [
    Membership.objects.create(
        user=User.objects.create_user(f"axe-reader-{i}@example.org", None),
        site=site, display_name=name,
    )
    for i, name in enumerate(["Ines Axe", "Tom Axe"])
]

def comment(body, status, **extra):
    c = Comment.objects.create(
        site=site, story=story, author=readers[0], body=body, body_html="<p>" + body + "</p>",
        status=status, scores={"toxicity": 0.71, "insult": 0.66, "spam": 0.05}, **extra,
    )
    Comment.objects.filter(pk=c.pk).update(root=c.pk)
    return c

held = comment(
    "What a stupid plan from these idiots.", "pending",
    reasons=[{"guideline": "nice", "attribute": "insult", "score": 0.66,
              "spans": [[7, 13], [30, 36]]}],
)
AuditEntry.objects.create(site=site, comment=held, actor_kind="engine", action="comment.held",
                          guideline="nice")
reported = comment("The bridge was never closed, it is all made up.", "published")
Report.objects.create(comment=reported, reporter=readers[1].user, reason="untruthful",
                      note="It was closed for a year.")
Comment.objects.filter(pk=reported.pk).update(open_reports=1, report_weight=1.0)
rejected = comment("Buy cheap watches now.", "rejected", reviewed_at=now, reviewed_by=desk,
                   reasons=[{"guideline": "spam", "attribute": "spam", "score": 0.97}])
AuditEntry.objects.create(site=site, comment=rejected, actor=desk, actor_kind="moderator",
                          action="comment.rejected", guideline="spam", note="Spam.")
Appeal.objects.create(comment=rejected, site=site, user=readers[0].user,
                      note="It was a joke about my own watch.")
comment("A fine job by the engineers.", "published", reviewed_at=now, reviewed_by=desk,
        featured=True)
DebunkedClaim.objects.create(site=site, claim="The bridge is made of cardboard",
                             correction="It is steel and oak.", link="https://example.org/fc")
Tip.objects.create(site=site, story_key=story.key, body="I saw the crane arrive at six.",
                   contact="tip@example.org")
endpoint = Endpoint.objects.create(site=site, url="https://newsroom.example/hook",
                                   events=["comment.created"], description="Newsroom")
event = Event.objects.create(site=site, name="comment.created", payload={"id": held.pk})
delivery = Delivery.objects.create(endpoint=endpoint, event=event, state="failed", attempts=1,
                                   next_attempt_at=now + timedelta(minutes=5))
Attempt.objects.create(delivery=delivery, number=1, status_code=500, error="Server error",
                       duration_ms=120, next_retry_at=now + timedelta(minutes=5))
"""

ADMIN = "axe-admin@example.org"
READER = "axe-reader@example.org"
SUSPECT = "grumblewort"
AXE_ORIGIN = "https://axe-gazette.example"

# (name, path under /dashboard/demo/, what shows once the page is ready)
DASHBOARD_PAGES = [
    ("queue-pending", "queue/pending/", ".card mark"),
    ("queue-reported", "queue/reported/", ".card .reports"),
    ("queue-rejected", "queue/rejected/", ".card"),
    ("queue-approved", "queue/approved/", ".card"),
    ("queue-featured", "queue/featured/", ".card.is-featured"),
    ("author-record", "queue/approved/?author={author}", ".chip"),
    ("audit-log", "audit/", "table"),
    ("statistics", "stats/", "#chart-per-hour"),
    ("settings-with-preview", "settings/", "#preview [data-held], #preview .muted"),
    ("claims", "claims/", "#main li"),
    ("tips", "tips/", "#main li"),
    ("appeals", "appeals/", "#main li"),
    ("webhooks-and-deliveries", "webhooks/", ".delivery"),
]


@pytest.fixture(scope="module")
def seeded(server):
    server.townhall(
        "createuser", "Axe Admin", "--email", ADMIN, "--password", PASSWORD,
        "--role", "admin", "--site", "demo",
    )  # fmt: skip
    server.townhall(
        "createuser", "Axe Reader", "--email", READER, "--password", PASSWORD, "--site", "demo"
    )  # fmt: skip
    server.townhall("shell", "-c", SEED)
    # A second site, so the admin gets the list of sites and the site switcher.
    server.townhall("createsite", "axe-gazette", "--name", "Axe Gazette", "--origin", AXE_ORIGIN)
    author = server.townhall(
        "shell", "-c",
        "from townhall.accounts.models import User;"
        "print(User.objects.get(email='axe-reader-0@example.org').pk)",
    ).strip()  # fmt: skip
    return {"author": author.split()[-1]}


@pytest.fixture(scope="module")
def desk(browser, server, seeded):
    """One signed-in admin tab for the dashboard pages of this file."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    p = context.new_page()
    p.goto(server.url + "/dashboard/login/")
    p.get_by_label("Email").fill(ADMIN)
    p.get_by_label("Password").fill(PASSWORD)
    p.get_by_role("button", name="Sign in").click()
    expect(p.locator("h1")).to_be_visible()
    yield p
    context.close()


def test_the_sign_in_page_passes_axe(tab, server):
    tab.goto(server.url + "/dashboard/login/")
    expect(tab.get_by_role("button", name="Sign in")).to_be_visible()
    assert serious_violations(tab.main_frame) == []


@pytest.mark.parametrize(
    ("path", "ready"), [p[1:] for p in DASHBOARD_PAGES], ids=[p[0] for p in DASHBOARD_PAGES]
)
def test_each_dashboard_page_passes_axe(desk, server, seeded, path, ready):
    desk.goto(f"{server.url}/dashboard/demo/{path.format(**seeded)}")
    expect(desk.locator(ready).first).to_be_visible()
    assert serious_violations(desk.main_frame) == []


def test_the_list_of_sites_passes_axe(desk, server, seeded):
    desk.goto(server.url + "/dashboard/")
    expect(desk.get_by_role("link", name="Axe Gazette")).to_be_visible()
    assert serious_violations(desk.main_frame) == []


def test_the_page_for_a_reader_who_moderates_nothing_passes_axe(tab, server, seeded):
    tab.goto(server.url + "/dashboard/login/")
    tab.get_by_label("Email").fill(READER)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.locator("h1")).to_have_text("Not allowed")
    assert serious_violations(tab.main_frame) == []


def test_the_queue_with_its_dialogs_open_passes_axe(desk, server, seeded):
    desk.goto(f"{server.url}/dashboard/demo/queue/pending/")
    desk.locator("#main").focus()
    desk.keyboard.press("?")
    expect(desk.locator("#help")).to_be_visible()
    assert serious_violations(desk.main_frame) == []
    desk.keyboard.press("Escape")
    desk.keyboard.press("x")
    desk.keyboard.press("r")
    expect(desk.locator("#reject-dialog")).to_be_visible()
    assert serious_violations(desk.main_frame) == []
    desk.keyboard.press("Escape")


def open_embed(tab, base: str):
    tab.goto(base + "/")
    frame = tab.frame_locator(FRAME)
    expect(frame.locator("#count")).to_be_visible()
    return frame


def log_in(frame) -> None:
    frame.locator("#login-email").fill(READER)
    frame.locator("#login-password").fill(PASSWORD)
    frame.locator("#login-password").press("Enter")
    expect(frame.locator(".whoami")).to_contain_text("Axe Reader")
    # Said once the thread is re-rendered for the reader too: its buttons are the new ones.
    expect(frame.locator("#status")).to_have_text("Welcome, Axe Reader.")


def _signed_out(tab, frame, server) -> None:
    pass


def _signup_form(tab, frame, server) -> None:
    frame.locator("#signup-name").focus()


def _login_form_with_error(tab, frame, server) -> None:
    frame.locator("#login-email").fill("nobody@example.org")
    frame.locator("#login-password").fill("not-the-password")
    frame.locator("#login-password").press("Enter")
    expect(frame.locator("[data-form=login] .msg")).not_to_be_empty()


def _signed_in(tab, frame, server) -> None:
    log_in(frame)


def _reply_open(tab, frame, server) -> None:
    log_in(frame)
    frame.locator('[data-action="reply"]').first.click()
    expect(frame.locator("[data-form=reply]")).to_be_visible()


def _report_open(tab, frame, server) -> None:
    log_in(frame)
    frame.locator('[data-action="report"]').first.click()
    expect(frame.locator(".report-form")).to_be_visible()


def _nudge(tab, frame, server) -> None:
    log_in(frame)
    frame.locator("#new-body").fill(f"What a load of {SUSPECT} this is.")
    frame.get_by_role("button", name="Post comment").click()
    expect(frame.locator(".nudge mark")).to_have_text(SUSPECT)


def _settings_open(tab, frame, server) -> None:
    log_in(frame)
    frame.locator('[data-action="settings"]').click()
    expect(frame.locator("#muted-list li").first).to_be_visible()
    expect(frame.locator("[data-form=notifications]")).to_be_visible()
    expect(frame.locator("[data-form=erase]")).to_be_visible()


def _pending_own(tab, frame, server) -> None:
    _nudge(tab, frame, server)
    frame.get_by_role("button", name="Post anyway").click()
    expect(frame.locator(".comment.is-pending").first).to_be_visible()


def _new_comments_button(tab, frame, server) -> None:
    log_in(frame)
    expect(frame.locator("body")).to_have_attribute("data-live", "open")
    token = server.townhall(
        "createuser", f"Poster {uuid.uuid4().hex[:4]}", "--email",
        f"{uuid.uuid4().hex[:10]}@example.org", "--site", "demo", "--token",
    ).strip().splitlines()[-1]  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 - our own server, over http
        server.url + "/api/v1/comments",
        method="POST",
        data=json.dumps(
            {"site": "demo", "story": STORY, "body": "Seen from the towpath."}
        ).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
    expect(frame.get_by_role("button", name="1 new comment")).to_be_visible()


EMBED_STATES = [
    ("signed-out", _signed_out),
    ("sign-up-form", _signup_form),
    ("log-in-form-with-error", _login_form_with_error),
    ("signed-in-comment-box", _signed_in),
    ("reply-form-open", _reply_open),
    ("report-form-open", _report_open),
    ("post-anyway-nudge", _nudge),
    ("settings-notifications-and-account-data", _settings_open),
    ("own-pending-comment", _pending_own),
    ("new-comments-button", _new_comments_button),
]


@pytest.mark.parametrize("setup", [s[1] for s in EMBED_STATES], ids=[s[0] for s in EMBED_STATES])
def test_each_state_of_the_embed_passes_axe(tab, server, seeded, setup):
    frame = open_embed(tab, server.url)
    setup(tab, frame, server)
    assert serious_violations(inner(tab)) == []


def test_the_demo_page_passes_axe(tab, demo_server):
    open_embed(tab, demo_server)
    assert serious_violations(tab.main_frame) == []


def focused(frame) -> dict:
    return frame.evaluate(
        "() => { const e = document.activeElement;"
        " return { action: e.dataset ? e.dataset.action || '' : '', tag: e.tagName,"
        " id: e.id || '', text: (e.textContent || '').trim(), name: e.name || '',"
        " outline: getComputedStyle(e).outlineStyle }; }"
    )


def tab_to(page, frame, want: dict, key: str = "Tab", limit: int = 120) -> dict:
    """Press ``key`` until the focused element matches every item of ``want``."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(frame)
        if all(now.get(k) == v for k, v in want.items()):
            return now
    raise AssertionError(f"{key} never reached {want}; stuck at {focused(frame)}")


def test_a_reader_uses_the_comments_by_keyboard_alone(tab, server, seeded):
    """Sign up, write, post, like, reply and report with Tab, Shift+Tab, Enter and Space:
    the test never moves focus itself, so the page has to put it where it is needed."""
    tab.goto(server.url + "/")
    frame_locator = tab.frame_locator(FRAME)
    expect(frame_locator.locator("#count")).to_be_visible()
    frame = inner(tab)

    # From the top of the publisher's page, through the thread, to the sign-up form.
    at = tab_to(tab, frame, {"id": "signup-name"})
    assert at["outline"] != "none", "the focused field shows no outline"
    tab.keyboard.type("Kim Keys")
    assert tab_to(tab, frame, {"id": "signup-email"}, limit=3)
    tab.keyboard.type(f"{uuid.uuid4().hex[:10]}@example.com")
    assert tab_to(tab, frame, {"id": "signup-password"}, limit=3)
    tab.keyboard.type(PASSWORD)
    # The honeypot field is skipped: the next stop is the button.
    tab.keyboard.press("Tab")
    assert focused(frame)["text"] == "Sign up"
    tab.keyboard.press("Enter")
    expect(frame_locator.locator(".whoami")).to_contain_text("Kim Keys")
    expect(frame_locator.locator("#status")).to_have_text("Welcome, Kim Keys.")
    # Focus went on to the comment box by itself.
    expect(frame_locator.locator("#new-body")).to_be_focused()

    tab.keyboard.type("مرحبا، الجسر جميل جدا")  # Arabic: it must read right to left
    tab.keyboard.press("Tab")
    assert focused(frame)["text"] == "Post comment"
    tab.keyboard.press("Enter")
    mine = frame_locator.locator(".comment").filter(
        has=frame_locator.locator(".author", has_text="Kim Keys")
    )
    expect(mine.first).to_be_visible()
    # The new comment holds the focus, so Tab goes on from it.
    expect(mine.first.locator("article").first).to_be_focused()
    text = mine.first.locator(".text")
    assert text.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert frame.evaluate("() => getComputedStyle(document.body).direction") == "ltr"

    # The next comment along is someone else's: Like with Space, Reply with Enter.
    like = tab_to(tab, frame, {"action": "like"})
    assert like["outline"] != "none"
    tab.keyboard.press(" ")
    others = frame_locator.locator("#comment-list > li.comment").filter(
        has=frame_locator.locator('[data-action="like"][aria-pressed="true"]')
    )
    expect(others).to_have_count(1)
    author = others.locator(":scope > article .author").inner_text()

    tab_to(tab, frame, {"action": "reply"}, limit=3)
    tab.keyboard.press("Enter")
    assert focused(frame)["name"] == "body"
    tab.keyboard.type("Walked over it at dawn.")
    tab.keyboard.press("Tab")
    assert focused(frame)["text"] == "Post reply"
    tab.keyboard.press("Enter")
    reply = frame_locator.locator(".replies .comment").filter(has_text="Walked over it at dawn.")
    expect(reply).to_be_visible()
    expect(reply.locator("article")).to_be_focused()

    # Back up from the reply to the Report button of the comment it answers.
    tab_to(tab, frame, {"action": "report"}, key="Shift+Tab", limit=10)
    tab.keyboard.press("Enter")
    assert focused(frame)["name"] == "reason"
    tab.keyboard.press("Space")
    tab_to(tab, frame, {"text": "Send report"}, limit=4)
    tab.keyboard.press("Enter")
    reported = frame_locator.locator("#comment-list > li.comment").filter(
        has=frame_locator.locator(":scope > article .author", has_text=author)
    )
    expect(reported.first.locator(":scope > article > .msg")).to_have_text(
        "Thank you. Our moderators will look at this comment."
    )


def test_the_desk_works_by_keyboard_with_visible_focus(tab, server, seeded):
    """Tab reaches the sign-in form, a card's checkbox and the bulk buttons; j/k, x, a,
    f, r and z work on the current card; whatever has the focus shows it."""
    tab.goto(server.url + "/dashboard/demo/queue/approved/")
    # The sign-in page starts in the email field; Tab goes on to the password.
    assert focused(tab.main_frame)["name"] == "email"
    tab.keyboard.type(ADMIN)
    tab.keyboard.press("Tab")
    assert focused(tab.main_frame)["name"] == "password"
    tab.keyboard.type(PASSWORD)
    tab.keyboard.press("Enter")
    expect(tab.locator("h1")).to_contain_text("Approved")
    # The heading shows while the page is still being read in; the shortcuts come with
    # its deferred scripts, which run only then: a key pressed before is lost.
    tab.wait_for_load_state()
    tab.keyboard.press("Tab")  # the skip link comes first on every page
    assert focused(tab.main_frame)["text"] == "Skip to content"
    assert focused(tab.main_frame)["outline"] != "none"

    # j selects the first card; its focus ring shows.
    tab.keyboard.press("j")
    card = tab.locator("#cards > .card").first
    expect(card).to_be_focused()
    assert card.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    # f features it, or unfeatures the one already featured; the toast says which.
    said = "Unfeatured" if "is-featured" in (card.get_attribute("class") or "") else "Featured"
    tab.keyboard.press("f")
    expect(tab.locator("#toast")).to_contain_text(f"{said} comment")
    # z undoes it; the queue reloads with the card back.
    tab.keyboard.press("z")
    expect(tab.locator("#toast")).to_contain_text("Undone")

    # Bulk selection with Tab and Space alone: the checkbox, then Approve/Reject selected.
    tab.goto(server.url + "/dashboard/demo/queue/pending/")
    pick = tab_to(tab, tab.main_frame, {"name": "ids"})
    assert pick["outline"] != "none"
    tab.keyboard.press("Space")
    expect(tab.locator("#bulk [data-selected]")).to_have_text("1")
    tab_to(tab, tab.main_frame, {"text": "Reject selected"}, key="Shift+Tab", limit=40)
    assert focused(tab.main_frame)["outline"] != "none"
    # k and j move between cards; x toggles the selection; r asks for a guideline.
    tab.keyboard.press("k")
    tab.keyboard.press("x")
    expect(tab.locator("#bulk [data-selected]")).to_have_text("0")
    tab.keyboard.press("r")
    dialog = tab.locator("#reject-dialog")
    expect(dialog).to_be_visible()
    expect(tab.locator("#reject-guideline")).to_be_focused()
    tab.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_the_embed_in_spanish_from_server_and_script(tab, demo_server):
    tab.goto(f"{demo_server}/embed/?site=demo&story={STORY}&lang=es")
    expect(tab.locator("#welcome")).to_have_text("Bienvenido a la conversación.")
    expect(tab.locator('[data-action="reply"]').first).to_have_text("Responder")
    expect(tab.locator('[data-action="report"]').first).to_have_text("Denunciar")
    tab.locator('[data-action="reply"]').first.click()  # signed out: frame.js says why
    expect(tab.locator(".comment .msg").first).to_have_text(
        "Entra o crea una cuenta aquí abajo para responder."
    )
