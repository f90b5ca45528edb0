"""Webhooks end to end: a moderator adds an endpoint, readers and moderators act, a real
HTTP receiver gets signed JSON from the background worker, and every attempt is logged."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime

import pytest
from django.test import Client

from townhall.webhooks import dispatch
from townhall.webhooks.models import Delivery, Event

from .conftest import settle

pytestmark = pytest.mark.django_db(transaction=True)

STORY = {"site": "gazette", "story": "budget-2027", "story_url": "https://gazette.example/budget"}


@pytest.fixture
def as_mallory(mallory, api_for):
    return api_for(mallory)


def add_endpoint(api, url: str, events: list[str]) -> dict:
    status, body = api.post("/sites/gazette/webhooks", {"url": url, "events": events})
    assert status == 201, body
    return body


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def deliveries(api, endpoint_id: int) -> list[dict]:
    status, body = api.get(f"/sites/gazette/webhooks/{endpoint_id}/deliveries")
    assert status == 200, body
    return body["deliveries"]


def test_a_posted_comment_reaches_the_endpoint_signed(worker, receiver, as_mallory, as_alice):
    endpoint = add_endpoint(as_mallory, receiver.url, ["comment.created", "comment.published"])
    assert endpoint["secret"].startswith("whsec_")

    status, posted = as_alice.post("/comments", {**STORY, "body": "Who pays for the bridge?"})
    assert status == 201 and posted["status"] == "published"

    settle()
    assert len(receiver.requests) == 2
    by_type = {r.json["type"]: r for r in receiver.requests}
    assert set(by_type) == {"comment.created", "comment.published"}
    for request in receiver.requests:
        assert request.headers["Content-Type"] == "application/json"
        signature = expected_signature(
            endpoint["secret"], request.headers["X-Townhall-Timestamp"], request.body
        )
        assert hmac.compare_digest(request.headers["X-Townhall-Signature"], signature)
        assert request.headers["X-Townhall-Event"] == request.json["type"]
    payload = by_type["comment.created"].json
    assert payload["site"] == "gazette"
    comment = payload["data"]["comment"]
    assert comment["id"] == posted["id"]
    assert comment["body"] == "Who pays for the bridge?"
    assert comment["status"] == "published"
    assert comment["author"]["display_name"] == "Alice"
    assert comment["story"]["key"] == "budget-2027"
    assert comment["story"]["url"] == "https://gazette.example/budget"

    settle()
    log = deliveries(as_mallory, endpoint["id"])
    assert [d["state"] for d in log] == ["succeeded", "succeeded"]
    attempt = log[0]["attempts"][0]
    assert attempt["status_code"] == 200 and attempt["error"] == ""
    assert attempt["duration_ms"] >= 0 and attempt["next_retry_at"] is None


def test_a_500_is_retried_with_back_off_and_every_attempt_logged(
    worker, receiver, settings, as_mallory, as_alice
):
    settings.TOWNHALL_WEBHOOK_BACKOFF_MS = 250
    receiver.statuses = [500, 503, 200]
    endpoint = add_endpoint(as_mallory, receiver.url, ["comment.created"])

    as_alice.post("/comments", {**STORY, "body": "The minister said otherwise."})

    settle()
    assert len(receiver.requests) == 3
    bodies = {r.body for r in receiver.requests}
    assert len(bodies) == 1, "every attempt sends the same event"
    assert len({r.headers["X-Townhall-Delivery"] for r in receiver.requests}) == 1
    [delivery] = deliveries(as_mallory, endpoint["id"])
    assert delivery["state"] == "succeeded"
    third, second, first = delivery["attempts"]  # newest first
    assert (first["status_code"], second["status_code"], third["status_code"]) == (500, 503, 200)
    assert "500" in first["error"]
    assert first["next_retry_at"] and second["next_retry_at"] and not third["next_retry_at"]

    # Exponential: the pause before the third attempt is twice that before the second.
    def pause(a: dict) -> float:
        ended = datetime.fromisoformat(a["started_at"]).timestamp() + a["duration_ms"] / 1000
        return datetime.fromisoformat(a["next_retry_at"]).timestamp() - ended

    assert pause(first) == pytest.approx(0.25, abs=0.05)
    assert pause(second) == pytest.approx(0.5, abs=0.05)
    assert datetime.fromisoformat(second["started_at"]) >= datetime.fromisoformat(
        first["next_retry_at"]
    )


def test_delivery_gives_up_after_the_last_attempt(worker, receiver, settings, as_mallory, as_alice):
    settings.TOWNHALL_WEBHOOK_ATTEMPTS = 3
    receiver.statuses = [500]
    endpoint = add_endpoint(as_mallory, receiver.url, ["comment.created"])

    as_alice.post("/comments", {**STORY, "body": "Nobody is listening."})

    settle()
    [delivery] = deliveries(as_mallory, endpoint["id"])
    assert delivery["state"] == "failed"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500]
    assert delivery["attempts"][0]["next_retry_at"] is None
    assert len(receiver.requests) == 3


def test_an_unreachable_endpoint_is_logged_with_its_error(worker, settings, as_mallory, as_alice):
    settings.TOWNHALL_WEBHOOK_ATTEMPTS = 1
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    endpoint = add_endpoint(as_mallory, f"http://127.0.0.1:{closed_port}/", ["comment.created"])

    as_alice.post("/comments", {**STORY, "body": "Is anyone there?"})

    settle()
    [delivery] = deliveries(as_mallory, endpoint["id"])
    assert delivery["state"] == "failed"
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert "refused" in attempt["error"].lower()


def test_moderation_and_reader_events_reach_only_endpoints_that_chose_them(
    worker, receiver, gazette, mallory, as_mallory, as_alice, as_bob, bob
):
    add_endpoint(
        as_mallory,
        receiver.url,
        ["comment.published", "comment.rejected", "comment.reported", "user.banned"],
    )
    gazette.premoderation = "all"
    gazette.save(update_fields=["premoderation"])
    _, held = as_alice.post("/comments", {**STORY, "body": "Held for a moderator first."})
    assert held["status"] == "pending"
    settle()  # SQLite's in-memory test database takes one writer at a time
    assert as_mallory.post(f"/moderation/comments/{held['id']}", {"action": "approve"})[0] == 200
    settle()

    assert as_bob.post(f"/comments/{held['id']}/report", {"reason": "spam"})[0] in (200, 201)
    settle()
    reject = {"action": "reject", "guideline": "spam"}
    assert as_mallory.post(f"/moderation/comments/{held['id']}", reject)[0] == 200
    settle()
    ban = {"site": "gazette", "action": "ban", "note": "repeat spammer"}
    assert as_mallory.post(f"/moderation/users/{bob.user_id}", ban)[0] == 200

    settle()
    events = [r.json for r in receiver.requests]
    assert [e["type"] for e in events] == [
        "comment.published",
        "comment.reported",
        "comment.rejected",
        "user.banned",
    ]
    published, reported, rejected, banned = (e["data"] for e in events)
    assert published["by"] == "moderator" and published["previous_status"] == "pending"
    assert reported["report"]["reason"] == "spam" and reported["comment"]["id"] == held["id"]
    assert rejected["comment"]["status"] == "rejected"
    assert rejected["comment"]["reasons"][0]["guideline"] == "spam"
    assert banned["user"] == {"id": bob.user_id, "display_name": "Bob"}
    assert banned["note"] == "repeat spammer"


def test_a_slow_endpoint_does_not_slow_posting(worker, receiver, as_mallory, as_alice):
    receiver.delay = 3.0
    add_endpoint(as_mallory, receiver.url, ["comment.created"])

    started = time.monotonic()
    status, _ = as_alice.post("/comments", {**STORY, "body": "Quick, before the vote."})
    took = time.monotonic() - started

    assert status == 201
    assert took < 1.5, f"posting took {took:.2f}s behind a 3s webhook"
    settle()
    assert Delivery.objects.filter(state="succeeded").count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "ftp://gazette.example/hooks",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "gazette.example/hooks",
        "http://",
    ],
)
def test_only_http_urls_are_accepted(as_mallory, url):
    status, body = as_mallory.post(
        "/sites/gazette/webhooks", {"url": url, "events": ["comment.created"]}
    )
    assert status == 422
    assert body["error"]["code"] == "invalid_url"


def test_private_addresses_are_refused_unless_allowed(as_mallory, settings):
    settings.TOWNHALL_WEBHOOK_ALLOW_PRIVATE = False
    for url in ("http://127.0.0.1:6379/", "http://10.0.0.8/hook", "http://localhost/hook"):
        status, body = as_mallory.post(
            "/sites/gazette/webhooks", {"url": url, "events": ["comment.created"]}
        )
        assert (status, body["error"]["code"]) == (422, "invalid_url"), url


def test_unknown_events_are_refused(as_mallory):
    status, body = as_mallory.post(
        "/sites/gazette/webhooks",
        {"url": "https://newsroom.example/hook", "events": ["comment.eaten"]},
    )
    assert (status, body["error"]["code"]) == (422, "invalid_events")


def test_only_the_sites_moderators_manage_its_endpoints(as_alice, as_charlie, anon, as_mallory):
    new = {"url": "https://newsroom.example/hook", "events": ["user.banned"]}
    assert as_alice.post("/sites/gazette/webhooks", new)[0] == 403
    assert as_charlie.post("/sites/gazette/webhooks", new)[0] == 403
    assert anon.get("/sites/gazette/webhooks")[0] == 401
    created = add_endpoint(as_mallory, new["url"], new["events"])
    assert as_alice.get("/sites/gazette/webhooks")[0] == 403

    status, changed = as_mallory.patch(
        f"/sites/gazette/webhooks/{created['id']}", {"active": False, "rotate_secret": True}
    )
    assert status == 200 and changed["active"] is False
    assert changed["secret"] != created["secret"]
    # Not an object: refused, not taken for "change nothing".
    assert as_mallory.patch(f"/sites/gazette/webhooks/{created['id']}", b"null")[0] == 422
    assert as_charlie.delete(f"/sites/gazette/webhooks/{created['id']}")[0] == 403
    assert as_mallory.delete(f"/sites/gazette/webhooks/{created['id']}")[0] == 204
    assert as_mallory.get("/sites/gazette/webhooks")[1] == {"endpoints": []}


def test_the_dashboard_shows_the_delivery_log(
    worker, receiver, mallory, alice, as_mallory, as_alice
):
    receiver.statuses = [500, 200]
    add_endpoint(as_mallory, receiver.url, ["comment.created"])
    as_alice.post("/comments", {**STORY, "body": "Logged twice."})
    settle()
    assert Delivery.objects.filter(state="succeeded").count() == 1

    desk = Client()
    desk.force_login(mallory.user)
    page = desk.get("/dashboard/gazette/webhooks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert receiver.url in html
    assert "HTTP 500" in html and "HTTP 200" in html and "next retry" in html
    assert "comment.created" in html

    reader = Client()
    reader.force_login(alice.user)
    assert reader.get("/dashboard/gazette/webhooks/").status_code == 403


def test_the_dashboard_adds_an_endpoint_and_refuses_a_bad_url(mallory):
    desk = Client()
    desk.force_login(mallory.user)
    bad = desk.post(
        "/dashboard/gazette/webhooks/", {"url": "ftp://x.example/", "events": ["user.banned"]}
    )
    assert bad.status_code == 422 and "http://" in bad.content.decode()
    good = desk.post(
        "/dashboard/gazette/webhooks/",
        {"url": "https://newsroom.example/hook", "events": ["user.banned"]},
    )
    assert good.status_code == 302
    page = desk.get("/dashboard/gazette/webhooks/").content.decode()
    assert "https://newsroom.example/hook" in page


def test_an_event_whose_message_was_lost_is_delivered_by_the_sweep(
    worker, receiver, gazette, as_mallory, as_alice
):
    add_endpoint(as_mallory, receiver.url, ["comment.created"])
    _, posted = as_alice.post("/comments", {**STORY, "body": "Saved before the crash."})
    settle()
    assert len(receiver.requests) == 1
    # A process that died between its commit and queueing leaves only the outbox row.
    lost = Event.objects.get(name="comment.created")
    Event.objects.create(site=gazette, name=lost.name, payload=lost.payload)

    assert dispatch.sweep(older_than_seconds=0)[0] == 1
    settle()

    assert len(receiver.requests) == 2
    assert receiver.requests[1].json["data"]["comment"]["id"] == posted["id"]
    assert dispatch.sweep(older_than_seconds=0) == (0, 0, 0), "nothing is left to send"


def test_an_edit_the_engine_rejects_sends_comment_rejected(
    worker, receiver, gazette, as_mallory, as_alice
):
    gazette.banned_words = ["grobble"]
    gazette.save(update_fields=["banned_words"])
    add_endpoint(as_mallory, receiver.url, ["comment.published", "comment.rejected"])
    _, posted = as_alice.post("/comments", {**STORY, "body": "A harmless first draft."})
    settle()

    status, _ = as_alice.patch(f"/comments/{posted['id']}", {"body": "Now it says grobble."})
    assert status == 200
    settle()

    assert [r.json["type"] for r in receiver.requests] == ["comment.published", "comment.rejected"]
    rejected = receiver.requests[1].json["data"]
    assert rejected["by"] == "engine" and rejected["previous_status"] == "published"
    assert rejected["comment"]["body"] == "Now it says grobble."
