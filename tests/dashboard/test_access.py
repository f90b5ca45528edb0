"""Only a site's moderators (and install admins) see or do anything in its dashboard."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.dashboard.conftest import make_comment, signed_in
from tests.factories import PASSWORD, UserFactory
from townhall.comments.models import Comment, Status
from townhall.review.models import AuditEntry

pytestmark = pytest.mark.django_db

PAGES = [
    ("dashboard:site", []),
    ("dashboard:queue", ["pending"]),
    ("dashboard:queue", ["reported"]),
    ("dashboard:queue-cards", ["pending"]),
    ("dashboard:audit", []),
    ("dashboard:audit-csv", []),
    ("dashboard:stats", []),
    ("dashboard:stats-json", []),
    ("dashboard:settings", []),
    ("dashboard:claims", []),
    ("dashboard:tips", []),
    ("dashboard:appeals", []),
]


def actions(comment: Comment) -> list[tuple[str, dict[str, str]]]:
    slug, cid, uid = comment.site.slug, comment.pk, comment.author.user_id
    return [
        (reverse("dashboard:comment", args=[slug, cid, "approve"]), {}),
        (reverse("dashboard:comment", args=[slug, cid, "reject"]), {"guideline": "nice"}),
        (reverse("dashboard:comment", args=[slug, cid, "feature"]), {}),
        (reverse("dashboard:user", args=[slug, uid, "suspend"]), {"days": "7"}),
        (reverse("dashboard:user", args=[slug, uid, "ban"]), {}),
        (reverse("dashboard:bulk", args=[slug]), {"ids": str(cid), "action": "reject"}),
        (reverse("dashboard:undo", args=[slug]), {}),
        (reverse("dashboard:settings", args=[slug]), {"premoderation": "all"}),
        (reverse("dashboard:settings-preview", args=[slug]), {}),
        (reverse("dashboard:moderators", args=[slug]), {"email": "charlie@example.org"}),
        (reverse("dashboard:claims", args=[slug]), {"claim": "The moon is cheese"}),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(gazette):
    client = Client()
    for name, args in PAGES:
        url = reverse(name, args=["gazette", *args])
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/dashboard/login/?next=")


def test_an_htmx_request_without_a_session_is_told_where_to_sign_in(gazette):
    response = Client().get(
        reverse("dashboard:queue-cards", args=["gazette", "pending"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/dashboard/login/")


def test_a_commenter_gets_403_everywhere(alice, held):
    client = signed_in(alice)
    for name, args in PAGES:
        response = client.get(reverse(name, args=["gazette", *args]))
        assert response.status_code == 403, name
        assert b"You do not moderate this site." in response.content
    for url, data in actions(held):
        assert client.post(url, data).status_code == 403, url
    held.refresh_from_db()
    assert held.status == Status.PENDING


def test_a_moderator_of_another_site_sees_and_does_nothing_here(hank, held, alice):
    client = signed_in(hank)
    for name, args in PAGES:
        response = client.get(reverse(name, args=["gazette", *args]))
        assert response.status_code == 403, name
        assert alice.display_name.encode() not in response.content
    before = AuditEntry.objects.count()
    for url, data in actions(held):
        assert client.post(url, data).status_code == 403, url
    held.refresh_from_db()
    alice.refresh_from_db()
    assert (held.status, held.featured, alice.status) == (Status.PENDING, False, "active")
    assert AuditEntry.objects.count() == before
    assert not alice.site.memberships.filter(role="moderator", user__email="charlie@example.org")


def test_a_moderator_cannot_reach_another_sites_comment_through_their_own_site(
    desk, hank, herald, charlie
):
    theirs = make_comment(charlie, "Herald business")
    url = reverse("dashboard:comment", args=["gazette", theirs.pk, "reject"])
    assert desk.post(url, {"guideline": "nice"}).status_code == 404
    bulk = reverse("dashboard:bulk", args=["gazette"])
    response = desk.post(bulk, {"ids": [theirs.pk], "action": "reject"}, HTTP_HX_REQUEST="true")
    assert "Approved 0 comments" not in response["HX-Trigger"]
    assert "1 could not be: No such comment on this site." in response["HX-Trigger"]
    theirs.refresh_from_db()
    assert theirs.status == Status.PENDING
    # Nor can she moderate a Herald member through the Gazette's URL.
    user_url = reverse("dashboard:user", args=["gazette", charlie.user_id, "ban"])
    assert desk.post(user_url).status_code == 404
    charlie.refresh_from_db()
    assert charlie.status == "active"


def test_an_install_admin_reaches_every_site(gazette, herald):
    admin = UserFactory(email="root@example.org", is_admin=True)
    client = Client()
    client.force_login(admin)
    for slug in ("gazette", "herald"):
        assert client.get(reverse("dashboard:queue", args=[slug, "pending"])).status_code == 200
    home = client.get(reverse("dashboard:home"))
    assert home.status_code == 200
    assert b"The Gazette" in home.content and b"The Herald" in home.content


def test_signing_in_and_out(mallory):
    client = Client()
    page = client.get("/dashboard/login/?next=/dashboard/gazette/stats/")
    assert page.status_code == 200 and b'name="csrfmiddlewaretoken"' in page.content
    wrong = client.post(
        "/dashboard/login/", {"email": "mallory@example.org", "password": "nope nope"}
    )
    assert wrong.status_code == 401 and b"Email or password is not right." in wrong.content
    response = client.post(
        "/dashboard/login/",
        {"email": "Mallory@Example.org", "password": PASSWORD, "next": "/dashboard/gazette/stats/"},
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/gazette/stats/"
    assert client.get("/dashboard/gazette/stats/").status_code == 200
    assert client.get("/dashboard/logout/").status_code == 405
    assert client.post("/dashboard/logout/").status_code == 302
    assert client.get("/dashboard/gazette/stats/").status_code == 302


def test_sign_in_needs_the_csrf_token(mallory):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/dashboard/login/", {"email": "mallory@example.org", "password": PASSWORD}
    )
    assert response.status_code == 403


def test_sign_in_does_not_redirect_off_site(mallory):
    response = Client().post(
        "/dashboard/login/",
        {"email": "mallory@example.org", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/dashboard/"


def test_a_moderator_of_one_site_goes_straight_to_its_queue(desk):
    response = desk.get("/dashboard/")
    assert response["Location"] == "/dashboard/gazette/queue/pending/"


def test_a_suspended_moderator_is_turned_away(mallory, desk):
    mallory.status = "banned"
    mallory.save()
    assert desk.get("/dashboard/gazette/queue/pending/").status_code == 403


def test_pages_carry_a_strict_csp(desk):
    response = desk.get("/dashboard/gazette/queue/pending/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
