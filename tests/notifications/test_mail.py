"""Notification mail, end to end: readers act through the API, the background worker
mails through Django's mail framework, and the unsubscribe link works without a login."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import MembershipFactory
from tests.webhooks.conftest import settle
from townhall.accounts.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

STORY = {"site": "gazette", "story": "harbour", "story_url": "https://gazette.example/harbour"}


@pytest.fixture
def as_mallory(mallory, api_for):
    return api_for(mallory)


def post(api, body: str, parent_id: int | None = None) -> dict:
    status, data = api.post("/comments", {**STORY, "body": body, "parent_id": parent_id})
    assert status == 201, data
    # SQLite's in-memory test database fails a second writer at once instead of
    # waiting: let the workers finish with this comment before the next write.
    settle()
    return data


def unsubscribe_link(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    link = header[1:-1]
    assert link in message.body, "the link is in the text too"
    return urlsplit(link).path


def test_a_reply_is_mailed_and_one_click_stops_the_next(worker, mailoutbox, as_alice, as_bob):
    first = post(as_bob, "The harbour plan floods the old town.")
    post(as_alice, "It was redrawn last spring, see page 4.", first["id"])
    settle()

    [message] = mailoutbox
    assert message.to == ["bob@example.org"]
    assert "Alice replied" in message.subject
    assert "It was redrawn last spring, see page 4." in message.body
    assert f"https://gazette.example/harbour?comment={first['id'] + 1}" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page = Client().get(unsubscribe_link(message))  # no login
    assert page.status_code == 200 and "unsubscribed" in page.content.decode()
    assert as_bob.get("/me/notifications")[1]["replies"] is False

    post(as_alice, "And the council voted on it.", first["id"])
    settle()
    assert len(mailoutbox) == 1


def test_no_mail_for_replying_to_oneself_or_to_an_unconfirmed_address(
    worker, mailoutbox, as_alice, as_bob, bob
):
    mine = post(as_alice, "Starting a thread of my own.")
    post(as_alice, "Adding to my own point.", mine["id"])
    bob.user.email_verified = False
    bob.user.save(update_fields=["email_verified"])
    bobs = post(as_bob, "I never confirmed my address.")
    post(as_alice, "A reply Bob will not be mailed.", bobs["id"])
    settle()
    assert mailoutbox == []


def test_readers_choose_their_mail_in_settings(worker, mailoutbox, as_alice, as_bob, anon):
    status, prefs = as_bob.get("/me/notifications")
    assert status == 200
    assert prefs == {
        "replies": True,
        "outcomes": True,
        "report_outcomes": False,
        "digest": True,
        "email": "bob@example.org",
        "can_mail": True,
    }
    status, prefs = as_bob.patch("/me/notifications", {"replies": False, "report_outcomes": True})
    assert status == 200
    assert (prefs["replies"], prefs["report_outcomes"], prefs["outcomes"]) == (False, True, True)
    assert anon.get("/me/notifications")[0] == 401
    assert as_bob.patch("/me/notifications", {"replies": "sometimes"})[0] == 422

    first = post(as_bob, "Mail me nothing about replies.")
    post(as_alice, "Bob will not hear of this by mail.", first["id"])
    settle()
    assert mailoutbox == []


def test_a_held_reply_is_mailed_only_once_a_moderator_publishes_it(
    worker, mailoutbox, gazette, as_alice, as_bob, as_mallory
):
    first = post(as_bob, "Where will the ferries dock?")
    gazette.premoderation = "all"
    gazette.save(update_fields=["premoderation"])
    reply = post(as_alice, "At the north quay, from May.", first["id"])
    assert reply["status"] == "pending"
    settle()
    assert mailoutbox == []

    as_mallory.post(f"/moderation/comments/{reply['id']}", {"action": "approve"})
    settle()
    subjects = sorted(m.subject for m in mailoutbox)
    assert [m.to for m in sorted(mailoutbox, key=lambda m: m.subject)] == [
        ["bob@example.org"],
        ["alice@example.org"],
    ]
    assert "replied" in subjects[0] and "is published" in subjects[1]


def test_moderators_decisions_reach_the_author_and_the_reporters(
    worker, mailoutbox, as_alice, as_bob, as_mallory
):
    as_bob.patch("/me/notifications", {"report_outcomes": True})
    comment = post(as_alice, "Buy cheap harbour tickets at spam.example!")
    assert as_bob.post(f"/comments/{comment['id']}/report", {"reason": "spam"})[0] in (200, 201)
    settle()
    assert mailoutbox == [], "a report alone mails nobody"

    decision = {"action": "reject", "guideline": "spam"}
    assert as_mallory.post(f"/moderation/comments/{comment['id']}", decision)[0] == 200
    settle()

    by_reader = {m.to[0]: m for m in mailoutbox}
    assert set(by_reader) == {"alice@example.org", "bob@example.org"}
    assert "not published" in by_reader["alice@example.org"].subject
    assert "spam" in by_reader["alice@example.org"].body
    assert "upheld" in by_reader["bob@example.org"].subject
    assert "removed" in by_reader["bob@example.org"].body


def test_mail_clients_unsubscribe_with_a_post_and_no_csrf_token(
    worker, mailoutbox, as_alice, as_bob
):
    first = post(as_bob, "Post me a reply.")
    post(as_alice, "Here it is.", first["id"])
    settle()
    path = unsubscribe_link(mailoutbox[0])

    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert as_bob.get("/me/notifications")[1]["replies"] is False

    again = client.post(path, {"resubscribe": "1"})
    assert again.status_code == 200 and "subscribed again" in again.content.decode()
    assert as_bob.get("/me/notifications")[1]["replies"] is True

    tampered = re.sub(r"/unsubscribe/(.)", lambda m: "/unsubscribe/" + "xy"[m[1] == "x"], path)
    assert Client().get(tampered).status_code == 400
    assert as_bob.get("/me/notifications")[1]["replies"] is True


def test_the_digest_tells_moderators_what_waits_once_a_day(
    worker, mailoutbox, gazette, mallory, as_alice, as_bob
):
    quiet = MembershipFactory(
        site=gazette, display_name="Quinn", role=Role.MODERATOR, user__email="quinn@example.org"
    )
    quiet_api = Client()
    quiet_api.force_login(quiet.user)
    status = quiet_api.patch(
        "/api/v1/me/notifications", '{"digest": false}', content_type="application/json"
    ).status_code
    assert status == 200
    call_command("digest")
    assert mailoutbox == [], "nothing waits: no digest"

    gazette.premoderation = "all"
    gazette.save(update_fields=["premoderation"])
    post(as_alice, "Held one.")
    post(as_bob, "Held two.")
    call_command("digest")
    settle()

    [message] = mailoutbox
    assert message.to == ["mallory@example.org"]
    assert "2 pending" in message.subject
    assert "/dashboard/gazette/queue/pending/" in message.body
    call_command("digest")
    settle()
    assert len(mailoutbox) == 1, "one digest per site and day"
