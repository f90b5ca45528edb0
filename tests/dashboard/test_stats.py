"""The statistics: plain functions over seeded data, and the page that charts them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.dashboard.conftest import make_comment
from tests.factories import StoryFactory
from townhall.comments.models import Comment
from townhall.dashboard import stats
from townhall.reports.models import Report
from townhall.review.models import AuditEntry

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 29, 12, 30, tzinfo=UTC)


def entry(site, action, kind, at, comment=None, guideline="", **data):
    return AuditEntry.objects.create(
        site=site,
        action=action,
        actor_kind=kind,
        created_at=at,
        comment=comment,
        guideline=guideline,
        data=data,
    )


def test_comments_per_hour_buckets_the_last_48_hours_by_status(gazette, alice, herald, charlie):
    for minutes, status in [
        (5, "published"),
        (20, "published"),
        (50, "pending"),
        (185, "rejected"),
        (47 * 60 + 10, "published"),
        (49 * 60, "published"),
    ]:
        make_comment(
            alice, f"c{minutes}", status=status, created_at=NOW - timedelta(minutes=minutes)
        )
    make_comment(charlie, "another site", status="published", created_at=NOW)
    out = stats.comments_per_hour(gazette, NOW)
    assert len(out["labels"]) == 48
    assert out["labels"][-1] == "2026-11-29T12:00:00+00:00"
    assert out["labels"][0] == "2026-11-27T13:00:00+00:00"
    assert out["published"][-1] == 2  # 12:25 and 12:10
    assert out["pending"][-2] == 1  # 11:40
    assert out["rejected"][-4] == 1  # 09:25
    assert out["published"][0] == 1  # 47 h 10 min ago: 13:20 two days back, the first hour
    assert out["total"] == 5  # not the one 49 h ago, nor the Herald's


def test_comments_per_hour_counts_the_first_hour_too(gazette, alice):
    make_comment(
        alice, "early", status="published", created_at=datetime(2026, 11, 27, 13, 20, tzinfo=UTC)
    )
    out = stats.comments_per_hour(gazette, NOW)
    assert out["published"][0] == 1 and out["total"] == 1


def test_decisions_by_guideline(gazette):
    at = NOW - timedelta(days=1)
    entry(gazette, "comment.held", "engine", at, guideline="nice")
    entry(gazette, "comment.held", "engine", at, guideline="nice")
    entry(gazette, "comment.rejected", "engine", at, guideline="no_threats")
    entry(gazette, "comment.rejected", "moderator", at, guideline="nice")
    entry(gazette, "comment.hidden_by_reports", "readers", at, guideline="truthful")
    entry(gazette, "comment.approved", "moderator", at, guideline="")
    entry(gazette, "comment.held", "engine", NOW - timedelta(days=40), guideline="spam")
    out = stats.decisions_by_guideline(gazette, since=NOW - timedelta(days=30))
    assert out["keys"] == ["clean", "no_threats", "truthful", "nice", "proactive", "share", "spam"]
    assert out["labels"][3] == "Be Nice"
    assert out["held"] == [0, 0, 0, 2, 0, 0, 0]
    assert out["rejected_engine"] == [0, 1, 0, 0, 0, 0, 0]
    assert out["rejected_moderator"] == [0, 0, 0, 1, 0, 0, 0]
    assert out["hidden_by_reports"] == [0, 0, 1, 0, 0, 0, 0]


def test_engine_outcomes_leave_edits_out(gazette):
    at = NOW - timedelta(hours=2)
    for action in ["comment.published"] * 6 + ["comment.held"] * 3 + ["comment.rejected"]:
        entry(gazette, action, "engine", at, edited=False)
    entry(gazette, "comment.held", "engine", at, edited=True)
    entry(gazette, "comment.rejected", "moderator", at)
    out = stats.engine_outcomes(gazette, since=NOW - timedelta(days=1))
    assert (out["published"], out["held"], out["rejected"], out["total"]) == (6, 3, 1, 10)
    assert out["share"] == {"published": 0.6, "held": 0.3, "rejected": 0.1}
    empty = stats.engine_outcomes(gazette, since=NOW)
    assert empty["total"] == 0 and empty["share"]["published"] == 0.0


def test_hold_wait_measures_held_to_a_moderators_decision(gazette, alice):
    a, b, c, d = (make_comment(alice, f"w{i}") for i in range(4))
    AuditEntry.objects.all().delete()
    t = NOW - timedelta(hours=10)
    entry(gazette, "comment.held", "engine", t, comment=a)
    entry(gazette, "comment.approved", "moderator", t + timedelta(minutes=10), comment=a)
    entry(gazette, "comment.held", "engine", t, comment=b)
    entry(gazette, "comment.rejected", "moderator", t + timedelta(hours=3), comment=b)
    entry(gazette, "comment.held", "engine", t, comment=c)  # still waiting
    entry(gazette, "comment.hidden_by_reports", "readers", t, comment=d)
    entry(gazette, "comment.approved", "moderator", t + timedelta(hours=20), comment=d)
    out = stats.hold_wait(gazette, since=NOW - timedelta(days=2))
    assert out["median_seconds"] == 3 * 3600
    assert (out["decided"], out["waiting"]) == (3, 1)
    assert out["buckets"]["counts"] == [0, 1, 0, 1, 1]
    assert stats.format_duration(out["median_seconds"]) == "3 h"


def test_hold_wait_with_nothing_decided(gazette):
    out = stats.hold_wait(gazette)
    assert out["median_seconds"] is None and out["decided"] == 0
    assert stats.format_duration(None) == "—"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (42, "42 s"),
        (95, "1 min 35 s"),
        (600, "10 min"),
        (7260, "2 h 1 min"),
        (3 * 86400 + 3600, "3 d 1 h"),
    ],
)
def test_format_duration(seconds, text):
    assert stats.format_duration(seconds) == text


def test_most_reported_stories(gazette, alice, bob, mallory, charlie):
    bridge = StoryFactory(site=gazette, key="bridge", title="The bridge")
    market = StoryFactory(site=gazette, key="market", title="")
    c1 = make_comment(alice, "one", status="published", story=bridge)
    c2 = make_comment(alice, "two", status="published", story=bridge)
    c3 = make_comment(bob, "three", status="published", story=market)
    for comment, reporter in [(c1, bob), (c1, mallory), (c2, bob), (c3, alice)]:
        Report.objects.create(comment=comment, reporter=reporter.user, reason="spam")
    Report.objects.create(
        comment=make_comment(charlie, "elsewhere", status="published"),
        reporter=bob.user,
        reason="spam",
    )
    out = stats.most_reported_stories(gazette)
    assert out["stories"] == [
        {"key": "bridge", "title": "The bridge", "reports": 3, "comments": 2},
        {"key": "market", "title": "market", "reports": 1, "comments": 1},
    ]


def test_the_stats_page_draws_charts_from_static_scripts(desk, held):
    response = desk.get("/dashboard/gazette/stats/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<canvas") == 5
    assert (
        "/static/vendor/chartjs/chart.umd.min.js" in html and "/static/dashboard/stats.js" in html
    )
    data = json.loads(
        re.search(
            r'<script id="stats-data" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    assert data["engine"]["held"] == 1 and data["per_hour"]["pending"][-1] == 1
    # Under script-src 'self': every script is a file, or JSON data that never runs.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_stats_page_takes_a_period(desk, held):
    html = desk.get("/dashboard/gazette/stats/?days=7").content.decode()
    assert '<option value="7" selected>Last 7 days</option>' in html
    assert 'data-stats-url="/dashboard/gazette/stats.json"' in html


def test_the_stats_json_feeds_the_charts(desk, held):
    response = desk.get("/dashboard/gazette/stats.json?days=7")
    data = response.json()
    assert data["days"] == 7
    assert set(data) >= {"per_hour", "by_guideline", "engine", "hold_wait", "reported_stories"}
    assert Comment.objects.count() == 1
