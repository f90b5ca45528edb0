"""Decisions from the dashboard change the database and the audit log, like the API's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.dashboard.conftest import make_comment
from townhall.accounts.models import Membership
from townhall.comments.models import Status
from townhall.review.models import AuditEntry

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def url(*parts: object) -> str:
    return "/dashboard/gazette/" + "/".join(str(p) for p in parts) + "/"


def test_approving_publishes_and_swaps_the_card(desk, held, mallory):
    response = desk.post(
        url("comments", held.pk, "approve"), {"back": url("queue", "pending")}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="card-{held.pk}"' in html and "card--done" in html and "Approved" in html
    assert 'id="queue-nav" hx-swap-oob="true"' in html
    assert 'data-queue="pending">0<' in html and 'data-queue="approved">1<' in html
    assert 'aria-current="page"' in html  # still on the pending queue
    assert "dash:toast" in response["HX-Trigger"]
    held.refresh_from_db()
    assert held.status == Status.PUBLISHED and held.reviewed_by == mallory.user
    entry = AuditEntry.objects.get(action="comment.approved")
    assert entry.actor == mallory.user and entry.comment == held


def test_rejecting_names_the_chosen_guideline(desk, held):
    desk.post(url("comments", held.pk, "reject"), {"guideline": "clean", "note": "vulgar"}, **HX)
    held.refresh_from_db()
    assert held.status == Status.REJECTED
    assert held.reasons[0] == {
        "guideline": "clean",
        "attribute": "moderator",
        "score": 1.0,
        "spans": [],
    }
    entry = AuditEntry.objects.get(action="comment.rejected", actor_kind="moderator")
    assert (entry.guideline, entry.note) == ("clean", "vulgar")


def test_a_bad_guideline_is_refused_in_plain_text(desk, held):
    response = desk.post(url("comments", held.pk, "reject"), {"guideline": "rude"}, **HX)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/plain")
    assert b"guideline must be one of" in response.content
    held.refresh_from_db()
    assert held.status == Status.PENDING


def test_without_htmx_an_action_redirects_back(desk, held):
    response = desk.post(
        url("comments", held.pk, "approve"), {"back": url("queue", "pending") + "?order=oldest"}
    )
    assert (
        response.status_code == 302
        and response["Location"] == url("queue", "pending") + "?order=oldest"
    )
    off_site = desk.post(url("comments", held.pk, "reject"), {"back": "https://evil.example/"})
    assert off_site["Location"] == url("queue", "pending")


def test_featuring_and_unfeaturing(desk, alice, story):
    c = make_comment(alice, "A thoughtful one", status=Status.PUBLISHED, story=story)
    desk.post(url("comments", c.pk, "feature"), **HX)
    c.refresh_from_db()
    assert c.featured
    html = desk.get(url("queue", "featured")).content.decode()
    assert "Unfeature <kbd>f</kbd>" in html and 'data-action="feature"' in html
    desk.post(url("comments", c.pk, "unfeature"), **HX)
    c.refresh_from_db()
    assert not c.featured
    assert list(
        AuditEntry.objects.filter(comment=c, actor_kind="moderator")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == [
        "comment.featured",
        "comment.unfeatured",
    ]


def test_a_held_comment_cannot_be_featured(desk, held):
    response = desk.post(url("comments", held.pk, "feature"), **HX)
    assert response.status_code == 409


@pytest.mark.parametrize("days", [1, 7, 30])
def test_suspending_an_author(desk, held, alice, days):
    response = desk.post(url("users", alice.user_id, "suspend"), {"days": str(days)}, **HX)
    assert response.status_code == 200
    assert b"status-suspended" in response.content and b"Reinstate" in response.content
    alice.refresh_from_db()
    expected = timezone.now() + timedelta(days=days)
    assert alice.status == "suspended"
    assert abs((alice.suspended_until - expected).total_seconds()) < 60
    assert AuditEntry.objects.get(action="user.suspended").subject == alice.user


def test_a_suspension_of_another_length_is_refused(desk, alice):
    response = desk.post(url("users", alice.user_id, "suspend"), {"days": "365"}, **HX)
    assert response.status_code == 422
    alice.refresh_from_db()
    assert alice.status == "active"


def test_banning_and_reinstating(desk, alice):
    desk.post(url("users", alice.user_id, "ban"), **HX)
    alice.refresh_from_db()
    assert alice.status == "banned"
    response = desk.post(url("users", alice.user_id, "reinstate"), **HX)
    assert b"status-active" in response.content
    alice.refresh_from_db()
    assert alice.status == "active"
    assert list(
        AuditEntry.objects.filter(subject=alice.user)
        .values_list("action", flat=True)
        .order_by("pk")
    )[-2:] == [
        "user.banned",
        "user.reinstated",
    ]


def test_a_moderator_cannot_ban_another_moderator(desk, gazette):
    other = Membership.objects.create(
        site=gazette,
        user=type(gazette.memberships.first().user).objects.create_user("oz@example.org"),
        display_name="Oz",
        role="moderator",
    )
    assert desk.post(url("users", other.user_id, "ban"), **HX).status_code == 403


def test_bulk_approve_and_reject(desk, alice, bob, story):
    a = make_comment(alice, "first", story=story)
    b = make_comment(bob, "second", story=story)
    c = make_comment(bob, "third", story=story)
    response = desk.post(url("bulk"), {"ids": [a.pk, b.pk], "action": "approve"}, **HX)
    html = response.content.decode()
    assert html.count('hx-swap-oob="outerHTML"') == 2
    assert "Approved 2 comments." in response["HX-Trigger"]
    desk.post(url("bulk"), {"ids": [c.pk], "action": "reject", "guideline": "spam"}, **HX)
    statuses = {x.pk: x.status for x in type(a).objects.filter(pk__in=[a.pk, b.pk, c.pk])}
    assert statuses == {a.pk: "published", b.pk: "published", c.pk: "rejected"}
    assert AuditEntry.objects.filter(action="comment.approved").count() == 2
    assert (
        AuditEntry.objects.get(action="comment.rejected", actor_kind="moderator").guideline
        == "spam"
    )


def test_bulk_goes_on_past_a_comment_it_cannot_decide(desk, alice, charlie, story):
    mine = make_comment(alice, "mine", story=story)
    theirs = make_comment(charlie, "on the herald")
    response = desk.post(url("bulk"), {"ids": [theirs.pk, mine.pk], "action": "reject"}, **HX)
    assert "1 could not be" in response["HX-Trigger"]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("rejected", "pending")


def test_bulk_needs_a_selection_and_a_bulk_action(desk, held):
    assert desk.post(url("bulk"), {"action": "approve"}, **HX).status_code == 422
    assert desk.post(url("bulk"), {"ids": [held.pk], "action": "feature"}, **HX).status_code == 422


def test_undo_restores_the_last_decision(desk, held, alice, story):
    featured = make_comment(alice, "worth featuring", status=Status.PUBLISHED, story=story)
    desk.post(url("comments", held.pk, "reject"), {"guideline": "nice"}, **HX)
    desk.post(url("comments", featured.pk, "feature"), **HX)

    response = desk.post(url("undo"), **HX)
    assert response.status_code == 204
    assert "queue-changed" in response["HX-Trigger"]
    assert f"comment {featured.pk} is published again" in response["HX-Trigger"]
    featured.refresh_from_db()
    assert not featured.featured

    desk.post(url("undo"), **HX)
    held.refresh_from_db()
    assert held.status == Status.PENDING
    assert AuditEntry.objects.filter(action="comment.reverted").count() == 2
    nothing = desk.post(url("undo"), **HX)
    assert "Nothing to undo." in nothing["HX-Trigger"]


def test_the_list_reloads_itself_after_an_undo(desk, held):
    html = desk.get(url("queue", "pending")).content.decode()
    assert 'hx-trigger="queue-changed from:body"' in html
