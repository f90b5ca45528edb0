"""Debunked claims, the tips inbox and appeals, through the dashboard."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import signed_in
from townhall.comments.models import Status
from townhall.review.models import Appeal, DebunkedClaim, Tip

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_adding_and_deactivating_a_claim(desk, gazette):
    response = desk.post(
        "/dashboard/gazette/claims/",
        {
            "claim": "The bridge was built with no permit",
            "correction": "It had one.",
            "link": "https://gazette.example/check",
        },
    )
    assert response.status_code == 302
    claim = DebunkedClaim.objects.get(site=gazette)
    assert claim.correction == "It had one." and claim.active
    html = desk.get("/dashboard/gazette/claims/").content.decode()
    assert "The bridge was built with no permit" in html and "Deactivate" in html
    swapped = desk.post(f"/dashboard/gazette/claims/{claim.pk}/active/", {"active": "0"}, **HX)
    assert b"Reactivate" in swapped.content
    claim.refresh_from_db()
    assert not claim.active


def test_a_claim_too_short_is_refused_on_the_form(desk, gazette):
    response = desk.post("/dashboard/gazette/claims/", {"claim": "lies"})
    assert response.status_code == 422
    assert "State the claim in at least a few words." in response.content.decode()


def test_another_sites_claim_is_out_of_reach(desk, herald):
    theirs = DebunkedClaim.objects.create(site=herald, claim="A Herald matter entirely")
    response = desk.post(f"/dashboard/gazette/claims/{theirs.pk}/active/", {"active": "0"}, **HX)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.active


def test_the_tips_inbox(desk, gazette, alice):
    tip = Tip.objects.create(
        site=gazette, user=alice.user, body="I saw the crane tip over", contact="555-0101"
    )
    html = desk.get("/dashboard/gazette/tips/").content.decode()
    assert "I saw the crane tip over" in html and "555-0101" in html
    response = desk.post(
        f"/dashboard/gazette/tips/{tip.pk}/", {"state": "followed_up", "note": "Called her"}, **HX
    )
    assert response.status_code == 200
    tip.refresh_from_db()
    assert (tip.state, tip.note) == ("followed_up", "Called her")
    assert "I saw the crane" not in desk.get("/dashboard/gazette/tips/?state=new").content.decode()
    assert "I saw the crane" in desk.get("/dashboard/gazette/tips/?state=all").content.decode()


def test_granting_an_appeal_publishes_the_comment(desk, gazette, alice, held):
    appeal = Appeal.objects.create(
        comment=held, site=gazette, user=alice.user, note="I was quoting someone"
    )
    html = desk.get("/dashboard/gazette/appeals/").content.decode()
    assert "I was quoting someone" in html
    response = desk.post(
        f"/dashboard/gazette/appeals/{appeal.pk}/", {"grant": "1", "answer": "Fair enough."}, **HX
    )
    assert response.status_code == 200
    held.refresh_from_db()
    appeal.refresh_from_db()
    assert held.status == Status.PUBLISHED and appeal.state == "granted"


def test_an_appeal_needs_an_answer(desk, gazette, alice, held):
    appeal = Appeal.objects.create(comment=held, site=gazette, user=alice.user, note="Please")
    response = desk.post(
        f"/dashboard/gazette/appeals/{appeal.pk}/", {"grant": "0", "answer": ""}, **HX
    )
    assert response.status_code == 422


def test_a_moderator_of_another_site_cannot_answer_appeals_or_tips(hank, gazette, alice, held):
    appeal = Appeal.objects.create(comment=held, site=gazette, user=alice.user, note="Please")
    tip = Tip.objects.create(site=gazette, body="secret")
    client = signed_in(hank)
    assert (
        client.post(
            f"/dashboard/gazette/appeals/{appeal.pk}/", {"grant": "1", "answer": "ok"}
        ).status_code
        == 403
    )
    assert client.post(f"/dashboard/gazette/tips/{tip.pk}/", {"state": "closed"}).status_code == 403
