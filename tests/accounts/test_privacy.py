"""A reader's data: addresses kept only as hashes and only for a while, a copy to
download, and an erasure that keeps the threads whole."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.conftest import Api
from tests.factories import PASSWORD, UserFactory
from townhall.accounts.models import ApiToken, IpSighting, Membership, SsoIdentity, User
from townhall.comments.models import Comment
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.77"


def login(email: str = "alice@example.org", password: str = PASSWORD) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    response = client.post(
        "/api/v1/auth/login",
        json.dumps({"email": email, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return client


def call(client: Client, method: str, path: str, data=None):
    if method == "get":
        response = client.get("/api/v1" + path)
    else:
        response = getattr(client, method)(
            "/api/v1" + path, json.dumps(data or {}), content_type="application/json"
        )
    return response.status_code, response.json() if response.content else None


def everything_stored() -> str:
    """Every row of every table, as text."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


@pytest.fixture
def conversation(alice, bob, as_alice, as_bob):
    """Alice comments and edits; Bob replies; each likes the other; Alice reports Bob."""
    _, first = as_alice.post(
        "/comments", {"site": "gazette", "story": "bridge", "body": "The bridge is late."}
    )
    as_alice.patch(f"/comments/{first['id']}", {"body": "The bridge is two years late."})
    _, reply = as_bob.post(
        "/comments",
        {
            "site": "gazette",
            "story": "bridge",
            "body": "Blame the river.",
            "parent_id": first["id"],
        },
    )
    _, other = as_bob.post("/comments", {"site": "gazette", "story": "bridge", "body": "Rude."})
    as_alice.post(f"/comments/{reply['id']}/react", {"kind": "like"})
    as_bob.post(f"/comments/{first['id']}/react", {"kind": "like"})
    as_alice.post(f"/comments/{other['id']}/report", {"reason": "degrading"})
    return {"first": first["id"], "reply": reply["id"], "other": other["id"]}


def test_a_reader_downloads_everything_kept_about_them(conversation, bob):
    client = login()
    status, data = call(client, "get", "/me/export")
    assert status == 200
    assert data["account"]["email"] == "alice@example.org"
    assert [m["display_name"] for m in data["memberships"]] == ["Alice"]
    [comment] = data["comments"]
    assert comment["body"] == "The bridge is two years late."
    assert [r["body"] for r in comment["revisions"]] == ["The bridge is late."]
    assert [r["comment_id"] for r in data["reactions"]] == [conversation["reply"]]
    assert [(r["comment_id"], r["reason"]) for r in data["reports"]] == [
        (conversation["other"], "degrading")
    ]
    [sighting] = data["ip_address_hashes"]
    assert sighting["kind"] == "login" and ADDRESS not in json.dumps(data)
    assert "Blame the river" not in json.dumps(data) and "bob@" not in json.dumps(data)


def test_export_needs_a_signed_in_reader(gazette):
    assert Client().get("/api/v1/me/export").status_code == 401


def test_addresses_are_stored_only_as_hashes(alice):
    login()
    assert IpSighting.objects.filter(user=alice.user).count() == 1
    assert ADDRESS not in everything_stored()


def test_purge_drops_address_hashes_past_the_retention_period(alice, bob, settings):
    settings.TOWNHALL_IP_RETENTION_DAYS = 30
    login()
    login("bob@example.org")
    IpSighting.objects.filter(user=bob.user).update(seen_at=timezone.now() - timedelta(days=31))
    out = StringIO()
    call_command("purge", stdout=out)
    assert "purged 1 address hashes" in out.getvalue()
    assert list(IpSighting.objects.values_list("user_id", flat=True)) == [alice.user_id]


def test_a_wrong_password_deletes_nothing(conversation, alice):
    client = login()
    status, data = call(client, "delete", "/me", {"password": "not mine"})
    assert (status, data["error"]["code"]) == (403, "wrong_password")
    assert User.objects.filter(email="alice@example.org").exists()
    assert Comment.objects.get(pk=conversation["first"]).body


def test_deleting_an_account_erases_the_person_and_keeps_the_thread(conversation, alice, gazette):
    client, elsewhere = login(), login()
    _, token = ApiToken.issue(alice.user)
    user_id = alice.user_id
    status, data = call(client, "delete", "/me", {"password": PASSWORD})
    assert (status, data) == (200, {"deleted": True})

    # Every way in is closed: this session, another session and an API token.
    for who in (client, elsewhere):
        assert who.get("/api/v1/auth/me").json()["authenticated"] is False
    assert Api(Client(), token).get("/me/export")[0] == 401
    assert not User.objects.filter(pk=user_id).exists()
    assert not Membership.objects.filter(user_id=user_id).exists()
    stored = everything_stored()
    assert "alice@example.org" not in stored and "two years late" not in stored

    # The thread keeps its shape: the reply still hangs under a tombstone.
    thread = Client().get("/api/v1/comments", {"site": "gazette", "story": "bridge"}).json()
    tombstone = next(c for c in thread["comments"] if c["id"] == conversation["first"])
    assert tombstone["status"] == "deleted" and tombstone["author"] is None
    assert tombstone["body_html"] == ""
    assert [r["id"] for r in tombstone["replies"]] == [conversation["reply"]]
    assert thread["story"]["comment_count"] == 2  # Bob's two
    assert Story.objects.get(key="bridge").comment_count == 2
    # What Alice gave is taken back from Bob's comments.
    reply = Comment.objects.get(pk=conversation["reply"])
    other = Comment.objects.get(pk=conversation["other"])
    assert reply.like_count == 0 and other.open_reports == 0 and other.report_weight == 0


def test_an_sso_reader_without_a_password_needs_a_recent_sign_in(gazette):
    user = UserFactory(email=None, password=None)
    user.set_unusable_password()
    user.last_login = timezone.now() - timedelta(hours=2)
    user.save()
    SsoIdentity.objects.create(site=gazette, sub="reader-1", user=user)
    _, token = ApiToken.issue(user)
    api = Api(Client(), token)
    status, data = api._call("delete", "/me", {})
    assert (status, data["error"]["code"]) == (403, "reauthenticate")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    assert api._call("delete", "/me", {})[0] == 200
    assert not SsoIdentity.objects.exists()
