"""Moderators work the queues and act on comments and people; nobody else can."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import MembershipFactory
from townhall.accounts.models import Role
from townhall.comments.models import Comment
from townhall.reports.models import Report
from townhall.review.models import AuditEntry
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_mallory(mallory, api_for):
    return api_for(mallory)


def post(api, text, story="s", **extra):
    status, data = api.post("/comments", {"site": "gazette", "story": story, "body": text, **extra})
    assert status == 201, data
    return data


def held(api, gazette, text="Please look at this"):
    gazette.premoderation = "all"
    gazette.save()
    data = post(api, text)
    gazette.premoderation = "off"
    gazette.save()
    return data


def test_only_the_sites_moderators_reach_moderation(
    gazette, herald, as_alice, as_charlie, anon, as_mallory, api_for
):
    c = post(as_alice, "Something to moderate")
    herald_mod = api_for(MembershipFactory(site=herald, display_name="Hank", role=Role.MODERATOR))
    for api, status in [(anon, 401), (as_alice, 403), (as_charlie, 403), (herald_mod, 403)]:
        assert api.get("/moderation/queue", site="gazette")[0] == status
        assert api.post(f"/moderation/comments/{c['id']}", {"action": "reject"})[0] == status
        got, _ = api.post(
            f"/moderation/users/{as_alice_id(c)}", {"site": "gazette", "action": "ban"}
        )
        assert got == status
    assert as_mallory.get("/moderation/queue", site="gazette")[0] == 200
    assert Comment.objects.get(pk=c["id"]).status == "published"


def as_alice_id(comment):
    return Comment.objects.get(pk=comment["id"]).author.user_id


def test_approving_a_held_comment_publishes_it_and_counts_it(as_alice, as_mallory, gazette, anon):
    c = held(as_alice, gazette)
    _, q = as_mallory.get("/moderation/queue", site="gazette", queue="pending")
    assert [x["id"] for x in q["comments"]] == [c["id"]]
    assert q["counts"]["pending"] == 1
    assert q["comments"][0]["reasons"][0]["attribute"] == "premoderation"
    status, out = as_mallory.post(f"/moderation/comments/{c['id']}", {"action": "approve"})
    assert (status, out["status"]) == (200, "published")
    _, thread = anon.get("/comments", site="gazette", story="s")
    assert thread["story"]["comment_count"] == 1
    _, q = as_mallory.get("/moderation/queue", site="gazette", queue="approved")
    assert [x["id"] for x in q["comments"]] == [c["id"]]
    entry = AuditEntry.objects.filter(action="comment.approved").get()
    assert entry.actor.email == "mallory@example.org" and entry.comment_id == c["id"]


def test_a_rejection_tells_the_author_the_guideline(as_alice, as_mallory, anon):
    c = post(as_alice, "A comment the desk will remove")
    status, out = as_mallory.post(
        f"/moderation/comments/{c['id']}", {"action": "reject", "guideline": "nice", "note": "rude"}
    )
    assert status == 200 and out["status"] == "rejected"
    _, mine = as_alice.get("/comments", site="gazette", story="s")
    assert mine["comments"][0]["status"] == "rejected"
    assert mine["comments"][0]["reasons"][0]["guideline"] == "nice"
    _, public = anon.get("/comments", site="gazette", story="s")
    assert public["comments"] == [] and public["story"]["comment_count"] == 0
    entry = AuditEntry.objects.get(action="comment.rejected")
    assert (entry.guideline, entry.note) == ("nice", "rude")


def test_bad_actions_and_guidelines_are_422(as_alice, as_mallory):
    c = post(as_alice, "x marks the spot")
    assert as_mallory.post(f"/moderation/comments/{c['id']}", {"action": "delete"})[0] == 422
    status, _ = as_mallory.post(
        f"/moderation/comments/{c['id']}", {"action": "reject", "guideline": "rudeness"}
    )
    assert status == 422
    assert as_mallory.post("/moderation/comments/999999", {"action": "approve"})[0] == 404
    assert Comment.objects.get(pk=c["id"]).status == "published"


def test_featuring(as_alice, as_mallory, gazette, anon):
    c = post(as_alice, "A thoughtful one")
    assert as_mallory.post(f"/moderation/comments/{c['id']}", {"action": "feature"})[0] == 200
    _, thread = anon.get("/comments", site="gazette", story="s")
    assert thread["comments"][0]["featured"] is True
    _, q = as_mallory.get("/moderation/queue", site="gazette", queue="featured")
    assert q["counts"]["featured"] == 1
    pending = held(as_alice, gazette, "not yet out")
    status, _ = as_mallory.post(f"/moderation/comments/{pending['id']}", {"action": "feature"})
    assert status == 409


def test_enough_weighted_reports_hide_a_comment_until_a_moderator_decides(
    as_alice, as_mallory, gazette, api_for, anon
):
    gazette.report_hide_weight = 2.0
    gazette.save()
    c = post(as_alice, "Contested claim")
    month_ago = timezone.now() - timedelta(days=30)
    readers = [
        api_for(MembershipFactory(site=gazette, user__date_joined=month_ago)) for _ in range(2)
    ]
    assert readers[0].post(f"/comments/{c['id']}/report", {"reason": "untruthful"})[0] == 201
    _, thread = anon.get("/comments", site="gazette", story="s")
    assert len(thread["comments"]) == 1  # one report (weight 1.0) is not enough
    assert readers[1].post(f"/comments/{c['id']}/report", {"reason": "untruthful"})[0] == 201
    _, thread = anon.get("/comments", site="gazette", story="s")
    assert thread["comments"] == [] and thread["story"]["comment_count"] == 0
    _, q = as_mallory.get("/moderation/queue", site="gazette", queue="reported")
    [item] = q["comments"]
    assert [r["reason"] for r in item["reports"]] == ["untruthful", "untruthful"]
    assert AuditEntry.objects.filter(action="comment.hidden_by_reports").exists()
    as_mallory.post(f"/moderation/comments/{c['id']}", {"action": "approve"})
    _, thread = anon.get("/comments", site="gazette", story="s")
    assert len(thread["comments"]) == 1
    assert set(Report.objects.values_list("outcome", flat=True)) == {"dismissed"}
    assert (
        as_mallory.get("/moderation/queue", site="gazette", queue="reported")[1]["comments"] == []
    )


def test_reporters_who_are_usually_right_weigh_more(
    as_alice, as_bob, bob, as_mallory, gazette, settings
):
    from townhall.reports.services import reporter_weight

    assert reporter_weight(bob.user) == pytest.approx(1.0)
    for i in range(3):
        c = post(as_alice, f"bad take number {i}")
        as_bob.post(f"/comments/{c['id']}/report", {"reason": "degrading"})
        as_mallory.post(
            f"/moderation/comments/{c['id']}", {"action": "reject", "guideline": "nice"}
        )
    assert reporter_weight(bob.user) > 1.5
    newcomer = MembershipFactory(site=gazette, user__date_joined=timezone.now())
    assert reporter_weight(newcomer.user) == pytest.approx(0.5)
    settings.TOWNHALL_NEW_ACCOUNT_HOURS = 0  # the new-account limits off, this one too
    assert reporter_weight(newcomer.user) == pytest.approx(1.0)


def test_suspend_ban_and_reinstate(as_alice, alice, as_mallory, herald):
    until = (timezone.now() + timedelta(hours=3)).isoformat()
    status, out = as_mallory.post(
        f"/moderation/users/{alice.user_id}",
        {"site": "gazette", "action": "suspend", "until": until},
    )
    assert status == 200 and out["status"] == "suspended"
    assert as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "hi"})[0] == 403
    as_mallory.post(f"/moderation/users/{alice.user_id}", {"site": "gazette", "action": "ban"})
    status, data = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "hi"})
    assert data["error"]["code"] == "banned"
    as_mallory.post(
        f"/moderation/users/{alice.user_id}", {"site": "gazette", "action": "reinstate"}
    )
    assert as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "hi"})[0] == 201
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert [a for a in actions if a.startswith("user.")] == [
        "user.suspended",
        "user.banned",
        "user.reinstated",
    ]


def test_a_moderator_cannot_ban_another_moderator(mallory, as_mallory, gazette):
    other = MembershipFactory(site=gazette, display_name="Desk Two", role=Role.MODERATOR)
    status, data = as_mallory.post(
        f"/moderation/users/{other.user_id}", {"site": "gazette", "action": "ban"}
    )
    assert status == 403 and data["error"]["code"] == "protected_user"


def test_queue_filters_and_pages(as_alice, as_bob, bob, as_mallory, gazette):
    gazette.premoderation = "all"
    gazette.save()
    for i in range(5):
        post(as_alice if i % 2 else as_bob, f"held {i}", story="one" if i < 3 else "two")
    _, q = as_mallory.get("/moderation/queue", site="gazette", story="two")
    assert len(q["comments"]) == 2
    _, q = as_mallory.get("/moderation/queue", site="gazette", author=bob.user_id)
    assert {c["author"]["display_name"] for c in q["comments"]} == {"Bob"}
    _, q = as_mallory.get("/moderation/queue", site="gazette", guideline="proactive")
    assert len(q["comments"]) == 5
    seen, cursor = [], None
    while True:
        query = {
            "site": "gazette",
            "order": "oldest",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        _, q = as_mallory.get("/moderation/queue", **query)
        seen += [c["id"] for c in q["comments"]]
        cursor = q["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 5


def test_a_queue_page_costs_the_same_queries_whatever_its_size(
    as_alice, as_bob, as_mallory, gazette
):
    gazette.premoderation = "all"
    gazette.save()
    post(as_alice, "one held")
    as_mallory.get("/moderation/queue", site="gazette")
    with CaptureQueriesContext(connection) as small:
        as_mallory.get("/moderation/queue", site="gazette")
    for i in range(12):
        post(as_alice if i % 2 else as_bob, f"another held {i}", story=f"st{i % 3}")
    with CaptureQueriesContext(connection) as large:
        as_mallory.get("/moderation/queue", site="gazette")
    assert len(small.captured_queries) == len(large.captured_queries)
    assert Story.objects.count() == 4
