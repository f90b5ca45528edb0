"""Fixtures for the security suite: a seeded Gazette, callers with tokens, and helpers
that assert the API's one error shape and that nothing was stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests.conftest import _member
from townhall.accounts.models import ApiToken, Role
from townhall.comments.models import Comment, Status
from townhall.sites.models import Story

# The tables a refused request must leave alone.
WATCHED = (
    "comments.Comment",
    "comments.CommentRevision",
    "comments.Reaction",
    "sites.Story",
    "accounts.User",
    "accounts.Membership",
    "accounts.Mute",
    "accounts.ApiToken",
    "reports.Report",
    "review.Appeal",
    "review.AuditEntry",
    "review.DebunkedClaim",
)


CSRF_TOKEN = "t" * 32  # any 32 characters of the token alphabet pass as a CSRF secret


def snapshot() -> dict[str, int]:
    """Row counts of every table a request could write to."""
    return {label: apps.get_model(label).objects.count() for label in WATCHED}


def assert_error_shape(status: int, content: bytes, content_type: str = "") -> dict[str, Any]:
    """A refusal is JSON ``{"error": {"code", "message"}}`` and nothing else."""
    assert 400 <= status < 500, f"expected a 4xx, got {status}: {content[:300]!r}"
    assert content_type.startswith("application/json"), (
        f"{status} answered with {content_type!r}, not JSON: {content[:300]!r}"
    )
    body = json.loads(content)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    return error


@dataclass
class World:
    """The seeded Gazette: ids and raw tokens the fuzzers aim at."""

    site: Any
    alice: Any
    bob: Any
    mallory: Any
    alice_token: str
    bob_token: str
    mallory_token: str
    story: Any
    comment_ids: list[int]
    pending_id: int

    def bearer(self, who: str | None) -> dict[str, str]:
        """Headers for a caller: a bearer token, or ``browser`` — an anonymous reader
        with a matching CSRF cookie and header, as the embed sends."""
        if who == "browser":
            return {"X-CSRFToken": CSRF_TOKEN, "Cookie": f"csrftoken={CSRF_TOKEN}"}
        token = {
            "alice": self.alice_token,
            "bob": self.bob_token,
            "mallory": self.mallory_token,
            "bogus": "th_not-a-real-token",
        }.get(who or "")
        return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def world(gazette) -> World:
    """Gazette with two commenters, a moderator, a story, published replies and a held one."""
    alice = _member(gazette, "Alice")
    bob = _member(gazette, "Bob")
    mallory = _member(gazette, "Mallory", Role.MODERATOR)
    story = Story.objects.create(site=gazette, key="budget", title="The budget", url="")
    ids: list[int] = []
    parent = None
    for n, author in enumerate([alice, bob, alice, bob]):
        c = Comment.objects.create(
            site=gazette,
            story=story,
            parent=parent,
            depth=0 if parent is None else parent.depth + 1,
            author=author,
            body=f"Comment {n}",
            body_html=f"<p>Comment {n}</p>",
            status=Status.PUBLISHED,
        )
        c.root_id = parent.root_id if parent else c.pk
        c.save(update_fields=["root"])
        ids.append(c.pk)
        parent = c if n == 0 else None
    pending = Comment.objects.create(
        site=gazette,
        story=story,
        author=alice,
        body="Held for review",
        body_html="<p>Held for review</p>",
        status=Status.PENDING,
    )
    pending.root_id = pending.pk
    pending.save(update_fields=["root"])
    Story.objects.filter(pk=story.pk).update(comment_count=len(ids))
    return World(
        site=gazette,
        alice=alice,
        bob=bob,
        mallory=mallory,
        alice_token=ApiToken.issue(alice.user)[1],
        bob_token=ApiToken.issue(bob.user)[1],
        mallory_token=ApiToken.issue(mallory.user)[1],
        story=story,
        comment_ids=ids,
        pending_id=pending.pk,
    )


@pytest.fixture
def in_process_wsgi():
    """Let a raw WSGI handler serve requests inside the test's transaction.

    Django's own test client unhooks ``close_old_connections`` for the same reason:
    with it, the handler would close the connection that holds the test transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
