"""Anonymous thread reads come from the shared cache and are never stale."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

QUERY = {"site": "gazette", "story": "s"}


def read(client: Client, **headers):
    return client.get("/api/v1/comments", QUERY, **headers)


def comment(api, body, **extra):
    status, data = api.post("/comments", {**QUERY, "body": body, **extra})
    assert status == 201
    return data


def test_an_unchanged_thread_is_read_without_touching_the_database(as_alice):
    comment(as_alice, "First thoughts on the harbour plan.")
    reader = Client()
    assert read(reader).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = read(reader)
    assert response.status_code == 200 and len(response.json()["comments"]) == 1
    assert len(queries.captured_queries) == 0
    assert "public" in response["Cache-Control"]


def test_the_etag_answers_304_until_something_changes(as_alice):
    comment(as_alice, "A first comment.")
    reader = Client()
    etag = read(reader)["ETag"]
    assert read(reader, HTTP_IF_NONE_MATCH=etag).status_code == 304
    comment(as_alice, "A second comment.")
    fresh = read(reader, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and len(fresh.json()["comments"]) == 2


def test_every_kind_of_change_shows_on_the_next_read(as_alice, as_bob, mallory, api_for, gazette):
    reader = Client()
    first = comment(as_alice, "The library should open on Sundays.")
    assert read(reader).json()["story"]["comment_count"] == 1
    comment(as_bob, "Agreed.", parent_id=first["id"])
    assert read(reader).json()["comments"][0]["replies"][0]["body_html"] == "<p>Agreed.</p>"
    as_bob.post(f"/comments/{first['id']}/react", {"kind": "like"})
    assert read(reader).json()["comments"][0]["reactions"] == {"like": 1}
    as_alice.patch(
        f"/comments/{first['id']}", {"body": "The library should open on Sunday mornings."}
    )
    assert "mornings" in read(reader).json()["comments"][0]["body_html"]
    as_mallory = api_for(mallory)
    as_mallory.post(f"/moderation/comments/{first['id']}", {"action": "feature"})
    assert read(reader).json()["comments"][0]["featured"] is True
    as_mallory.post(
        f"/moderation/comments/{first['id']}", {"action": "reject", "guideline": "nice"}
    )
    assert read(reader).json()["story"]["comment_count"] == 1  # the reply remains
    as_mallory.post("/moderation/stories", {**QUERY, "closed": True})
    assert read(reader).json()["story"]["closed"] is True


def test_a_story_that_appears_after_being_read_empty_shows_up(as_alice):
    reader = Client()
    assert read(reader).json()["comments"] == []
    comment(as_alice, "Now there is something to read.")
    assert len(read(reader).json()["comments"]) == 1


def test_signed_in_reads_are_personal_and_not_cached(as_alice, gazette):
    gazette.premoderation = "all"
    gazette.save()
    comment(as_alice, "Held for a moderator.")
    response = as_alice.client.get("/api/v1/comments", QUERY, **as_alice.headers)
    assert response["Cache-Control"] == "private, no-cache"
    assert len(response.json()["comments"]) == 1
    assert read(Client()).json()["comments"] == []
