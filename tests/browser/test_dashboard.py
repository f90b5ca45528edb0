"""A moderator works the queue in a real browser against a real server.

The server runs ``townhall serve`` in a subprocess on its own SQLite file; the
test talks to it over HTTP only (the JSON API for setup, Chromium for the desk).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.processes import TOWNHALL, free_port, start, stop, wait_healthy

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "copy-desk-night-shift"
STORY = "council-budget"
TARGET = "The budget tables on page four were a great help, thank you for publishing them."
COMMENTS = [
    ("sam", "council-budget", "Budget 2027: what the council decided", TARGET),
    (
        "lee",
        "council-budget",
        "Budget 2027: what the council decided",
        "Anyone who voted for this is clueless and frankly a bit of a fool.",
    ),
    (
        "sam",
        "footbridge",
        "The footbridge reopens",
        "Cheap watches and pills at www.example-deals.biz, www.example-deals.biz/now",
    ),
    (
        "lee",
        "footbridge",
        "The footbridge reopens",
        "I walked across it this morning with my kids; the ramp is much gentler now.",
    ),
    (
        "lee",
        "council-budget",
        "Budget 2027: what the council decided",
        "The councillors are pathetic liars and they know it.",
    ),
    (
        "sam",
        "council-budget",
        "Budget 2027: what the council decided",
        "Shut up, you moron. Nobody cares what you stupid people think.",
    ),
]
INSULT = "The councillors are pathetic liars and they know it."


# Two days of a small paper's comments, made before the server starts, so the
# statistics have something to chart. Every held comment has been decided.
HISTORY = """
import math, random
from datetime import timedelta
from django.utils import timezone
from townhall.accounts.models import Membership, User
from townhall.comments.models import Comment
from townhall.reports.models import Report
from townhall.review.models import AuditEntry
from townhall.sites.models import Site, Story

rng = random.Random(2026)
site = Site.objects.get(slug="gazette")
desk = User.objects.get(email="desk@x.org")
now = timezone.now()
stories = [
    Story.objects.create(site=site, key=k, title=t, url="https://gazette.example/" + k)
    for k, t in [
        ("school-merger", "Two primary schools to merge in September"),
        ("river-flooding", "River flooding: the clean-up begins"),
        ("mayor-interview", "Interview: the mayor on housing"),
        ("derby-result", "Derby day ends in a draw"),
        ("market-hall", "The market hall gets a new roof"),
    ]
]
readers = [
    Membership.objects.create(
        user=User.objects.create_user(f"r{i}@x.org", None, date_joined=now - timedelta(days=300)),
        site=site, display_name=name,
    )
    for i, name in enumerate(["Ann B.", "Omar K.", "Pat Reilly", "Joy", "Dev S.", "Marta"])
]
lines = ["Good to see this covered.", "I disagree with the council here.", "Who pays for it?",
         "My street was under water for two days.", "Great match, fair result."]
held_under = ["nice"] * 5 + ["clean"] * 2 + ["spam"] * 2 + ["no_threats", "truthful"]
for h in range(47, 0, -1):
    hour = now - timedelta(hours=h)
    busy = 0.5 + 0.5 * math.sin((hour.hour - 9) / 24 * 2 * math.pi)
    for _ in range(int(2 + 9 * busy) + rng.randint(0, 3)):
        at = hour + timedelta(minutes=rng.randint(0, 59))
        roll = rng.random()
        g = rng.choice(held_under)
        if roll < 0.74:
            status, action, g = "published", "comment.published", ""
        elif roll < 0.93:
            status, action = "pending", "comment.held"
        else:
            status, action = "rejected", "comment.rejected"
        why = {"guideline": g, "attribute": "toxicity", "score": 0.9, "spans": []}
        reasons = [why] if g else []
        c = Comment.objects.create(
            site=site, story=rng.choice(stories), author=rng.choice(readers),
            body=rng.choice(lines), body_html="<p>…</p>", status=status, reasons=reasons,
            created_at=at,
        )
        Comment.objects.filter(pk=c.pk).update(root=c.pk)
        AuditEntry.objects.create(site=site, comment=c, actor_kind="engine", action=action,
                                  guideline=g, created_at=at, data={"edited": False})
        if status == "pending":
            wait = timedelta(minutes=rng.choice([2, 4, 7, 12, 18, 25, 40, 70, 150, 400]))
            decided = min(at + wait, at + (now - at) / 2)
            ok = rng.random() < 0.6
            Comment.objects.filter(pk=c.pk).update(status="published" if ok else "rejected",
                                                   reviewed_at=decided, reviewed_by=desk)
            AuditEntry.objects.create(
                site=site, comment=c, actor=desk, actor_kind="moderator",
                action="comment.approved" if ok else "comment.rejected",
                guideline="" if ok else g, created_at=decided,
            )
published = list(Comment.objects.filter(site=site, status="published"))
for c in rng.sample(published, 40):
    for reader in rng.sample(readers, rng.randint(1, 3)):
        if reader.pk != c.author_id:
            Report.objects.create(comment=c, reporter=reader.user, outcome="dismissed",
                                  reason=rng.choice(["degrading", "untruthful", "spam", "other"]),
                                  created_at=c.created_at + timedelta(minutes=30))
for s in stories:
    Story.objects.filter(pk=s.pk).update(
        comment_count=Comment.objects.filter(story=s, status="published").count())
"""


@dataclass(frozen=True)
class Server:
    url: str
    tokens: dict[str, str]
    ids: dict[str, int]
    held: list[int]

    def api(self, method: str, path: str, body: dict | None = None, who: str | None = None):
        request = urllib.request.Request(  # noqa: S310 - our own server
            self.url + "/api/v1" + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {self.tokens[who]}"} if who else {}),
        )
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
            return json.loads(r.read())


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(TOWNHALL), *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"townhall {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh install: one site on pre-moderation, a desk moderator, two readers."""
    tmp = tmp_path_factory.mktemp("dashboard")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
        "TOWNHALL_DATA_DIR": str(tmp),
        "TOWNHALL_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("TOWNHALL_CACHE", None)  # as in production: shared by every process
    _run(env, "migrate", "--verbosity", "0")
    _run(
        env,
        "createsite",
        "gazette",
        "--name",
        "Valley Gazette",
        "--origin",
        f"http://127.0.0.1:{port}",
    )
    out = _run(
        env,
        "createuser",
        "Desk",
        "--email",
        "desk@x.org",
        "--password",
        PASSWORD,
        "--role",
        "moderator",
        "--site",
        "gazette",
        "--token",
    )
    tokens = {"desk": out.strip().splitlines()[-1]}
    for who, name in [("sam", "Sam Okafor"), ("lee", "Lee Hart")]:
        out = _run(
            env,
            "createuser",
            name,
            "--email",
            f"{who}@x.org",
            "--password",
            PASSWORD,
            "--site",
            "gazette",
            "--token",
        )
        tokens[who] = out.strip().splitlines()[-1]
    # Hold every comment for the desk; the readers have been around for a season.
    _run(
        env,
        "shell",
        "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from townhall.sites.models import Site; from townhall.accounts.models import User; "
        "Site.objects.filter(slug='gazette').update(premoderation='all'); "
        "User.objects.filter(email__in=['sam@x.org', 'lee@x.org'])"
        ".update(date_joined=timezone.now() - timedelta(days=90))",
    )
    _run(env, "shell", "-c", HISTORY)
    log = tmp / "server.log"
    proc = start(["serve", "--port", str(port), "--workers", "1"], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{base}/api/v1/health", proc, log)
        server = Server(base, tokens, {}, [])
        # Each reader has had a comment approved before, so the engine does not treat
        # them as new (new authors meet stricter thresholds).
        for who, body in [("sam", "Thanks for covering the council."), ("lee", "Good report.")]:
            first = server.api(
                "POST", "/comments", {"site": "gazette", "story": "welcome", "body": body}, who=who
            )
            server.api("POST", f"/moderation/comments/{first['id']}", {"action": "approve"}, "desk")
        for who, story, title, body in COMMENTS:
            posted = server.api(
                "POST",
                "/comments",
                {
                    "site": "gazette",
                    "story": story,
                    "story_title": title,
                    "story_url": f"{base}/news/{story}",
                    "body": body,
                },
                who=who,
            )
            # Pre-moderation holds everything the engine does not reject outright.
            assert posted["status"] in ("pending", "rejected"), posted
            server.ids[body] = posted["id"]
            if posted["status"] == "pending":
                server.held.append(posted["id"])
        assert server.ids[TARGET] in server.held and len(server.held) >= 4
        yield server
    finally:
        stop(proc)


@pytest.fixture
def desk(browser, server):
    """A 1280px tab signed in as the desk; fails the test on any console error (CSP too)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status == 404 else None)
    page.goto(server.url + "/dashboard/gazette/queue/pending/")
    assert "/dashboard/login/?next=" in page.url
    page.get_by_label("Email").fill("desk@x.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pending")
    # The shortcuts come with the queue's deferred scripts, which run only once the page
    # is read in; the heading shows before that, and a key pressed then is lost.
    page.wait_for_load_state()
    yield page
    context.close()
    assert not errors, f"errors in the browser console: {errors}"


def _published(server: Server, story: str) -> list[str]:
    thread = server.api("GET", f"/comments?site=gazette&story={story}")
    return [c["body_html"] for c in thread["comments"]]


def test_a_moderator_approves_a_held_comment_from_the_keyboard(desk, server):
    assert not any("budget tables" in html for html in _published(server, STORY))
    cards = desk.locator("#cards > .card:not(.card--done)")
    expect(cards).to_have_count(len(server.held))
    # The engine's marks are on the insulting comment.
    expect(desk.locator("#cards mark").first).to_be_visible()
    expect(desk.locator("#queue-nav [data-queue=pending]")).to_have_text(str(len(server.held)))
    desk.keyboard.press("j")
    expect(cards.first).to_be_focused()
    desk.wait_for_timeout(200)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SCREENSHOTS / "dashboard-queue.png"), full_page=False)

    target = desk.locator(".card").filter(has_text="budget tables on page four")
    while "is-current" not in (target.get_attribute("class") or ""):
        desk.keyboard.press("j")
    expect(target).to_be_focused()
    desk.keyboard.press("a")

    done = desk.locator(f"#card-{server.ids[TARGET]}.card--done")
    expect(done).to_contain_text("Approved")
    pending = str(len(server.held) - 1)
    expect(desk.locator("#queue-nav [data-queue=pending]")).to_have_text(pending)
    expect(desk.locator("#toast")).to_contain_text("Approved comment")
    # The selection moved on to a card still waiting.
    expect(desk.locator("#cards > .card.is-current:not(.card--done)")).to_have_count(1)
    assert any("budget tables on page four" in html for html in _published(server, STORY))
    # A reader who reloads the comment section under the article now sees it.
    anonymous = desk.context.browser.new_context()
    reader = anonymous.new_page()
    reader.goto(f"{server.url}/embed/?site=gazette&story={STORY}")
    expect(reader.locator(".comment").filter(has_text="budget tables on page four")).to_be_visible()
    anonymous.close()


def test_reject_asks_the_guideline_and_z_undoes_it(desk, server):
    body = INSULT
    card = desk.locator(f"#card-{server.ids[body]}")
    card.click(position={"x": 400, "y": 10})
    expect(card).to_be_focused()
    desk.keyboard.press("r")
    dialog = desk.get_by_role("dialog", name="Reject under which guideline?")
    expect(dialog).to_be_visible()
    # It offers the guideline of the card's first reason (pre-moderation aside).
    first = card.get_attribute("data-guideline")
    assert first
    expect(dialog.get_by_label("Guideline")).to_have_value(first)
    dialog.get_by_role("button", name="Reject").click()
    expect(desk.locator(f"#card-{server.ids[body]}.card--done")).to_contain_text("Rejected")

    desk.keyboard.press("z")
    expect(desk.locator("#toast")).to_contain_text("pending again")
    expect(desk.locator(f"#card-{server.ids[body]} .pick")).to_be_visible()
    expect(desk.locator(f"#card-{server.ids[body]}")).not_to_have_class("card card--done")


def test_x_selects_cards_for_a_bulk_decision_and_question_mark_shows_help(desk, server):
    desk.keyboard.press("?")
    expect(desk.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    desk.keyboard.press("Escape")
    spam = "Cheap watches and pills at www.example-deals.biz, www.example-deals.biz/now"
    desk.locator(f"#card-{server.ids[spam]}").click(position={"x": 400, "y": 10})
    desk.keyboard.press("x")
    expect(desk.locator("#bulk [data-selected]")).to_have_text("1")
    desk.get_by_label("Guideline for the rejection").select_option("spam")
    desk.get_by_role("button", name="Reject selected").click()
    expect(desk.locator(f"#card-{server.ids[spam]}.card--done")).to_contain_text("Rejected")


def test_the_statistics_page_draws_its_charts(desk, server):
    desk.goto(server.url + "/dashboard/gazette/stats/")
    for chart in ("per-hour", "engine", "guidelines", "wait", "stories"):
        canvas = desk.locator(f"#chart-{chart}")
        expect(canvas).to_be_visible()
        desk.wait_for_function(
            "id => window.Chart && Chart.getChart(document.getElementById(id))",
            arg=f"chart-{chart}",
        )
    desk.wait_for_timeout(200)
    desk.screenshot(path=str(SCREENSHOTS / "dashboard-stats.png"), full_page=True)

    # Another period comes from the JSON endpoint, without a page load.
    with desk.expect_response(lambda r: "/stats.json?days=7" in r.url):
        desk.get_by_label("Period").select_option("7")
    expect(desk.locator("#period-note")).to_contain_text("Last 7 days")
    assert desk.url.endswith("?days=7")
    desk.wait_for_function("() => Chart.getChart(document.getElementById('chart-engine'))")


def test_the_queue_fits_a_tablet(browser, server):
    context = browser.new_context(viewport={"width": 820, "height": 1180})
    page = context.new_page()
    page.goto(server.url + "/dashboard/login/")
    page.get_by_label("Email").fill("desk@x.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#cards > .card").first).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    context.close()
    assert widths[0] <= widths[1], "the queue scrolls sideways at 820px"
