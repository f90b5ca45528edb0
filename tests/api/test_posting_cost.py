"""What a post costs the database stays the same however long the author's history and
however large the story: the engine's view of the author is kept in the cache, and
nothing on the path counts a whole history or a whole thread."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import StoryFactory
from townhall.comments.models import Comment, Status
from townhall.review.models import DebunkedClaim

pytestmark = pytest.mark.django_db

# Site, token, membership, story, the author's comments since the cache last counted
# them; then, between a savepoint and its release (a test runs in a transaction), the
# comment, its root, the story's count, the audit entry and the events.
MAX_QUERIES = 12


def _history(member, story, n: int) -> None:
    Comment.objects.bulk_create(
        Comment(
            site=story.site,
            story=story,
            author=member,
            body=f"An older point, number {i}.",
            body_html=f"<p>An older point, number {i}.</p>",
            status=Status.PUBLISHED if i % 7 else Status.REJECTED,
        )
        for i in range(n)
    )


def _cost(api, story_key: str, text: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        status, body = api.post("/comments", {"site": "gazette", "story": story_key, "body": text})
    assert status == 201, body
    return len(queries.captured_queries)


def test_a_post_costs_the_same_few_queries_whatever_the_history(
    settings, gazette, alice, bob, as_alice, as_bob
):
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    quiet = StoryFactory(site=gazette, key="quiet")
    busy = StoryFactory(site=gazette, key="busy")
    DebunkedClaim.objects.create(site=gazette, claim="The harbour wall is made of sugar")
    _history(alice, busy, 600)  # alice has written a lot, all of it on the busy story
    _history(bob, quiet, 2)
    # First posts: the tokens' first use and the records' first count happen here.
    _cost(as_alice, "busy", "Warming up on the busy story.")
    _cost(as_bob, "quiet", "Warming up on the quiet story.")

    veteran = _cost(as_alice, "busy", "Another thought on the busy story.")
    newcomer = _cost(as_bob, "quiet", "A first real thought on the quiet story.")
    assert veteran == newcomer
    assert veteran <= MAX_QUERIES

    # A reply costs one query more (its parent), and no more for a big thread.
    parent = Comment.objects.filter(story=busy, status=Status.PUBLISHED).first()
    with CaptureQueriesContext(connection) as queries:
        status, body = as_alice.post(
            "/comments",
            {"site": "gazette", "story": "busy", "body": "Replying here.", "parent_id": parent.pk},
        )
    assert status == 201, body
    assert len(queries.captured_queries) == veteran + 1


def test_a_new_claim_is_matched_on_the_next_post(settings, gazette, alice, as_alice, mallory):
    # The claims come from the cache on every post; adding one must reach the next post.
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    gazette.hold_thresholds = {}
    gazette.reject_thresholds = {}
    gazette.save()
    text = "Everyone knows the harbour wall is made of sugar and will melt."
    status, first = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": text})
    assert status == 201 and first["status"] == "published", first
    DebunkedClaim.objects.create(
        site=gazette, claim="The harbour wall is made of sugar", correction="It is granite."
    )
    status, second = as_alice.post(
        "/comments", {"site": "gazette", "story": "s", "body": text + " Truly."}
    )
    assert status == 201 and second["status"] == "pending", second
    assert any(r.get("correction") == "It is granite." for r in second["reasons"]), second
    claim = DebunkedClaim.objects.get()
    claim.active = False
    claim.save()
    status, third = as_alice.post(
        "/comments", {"site": "gazette", "story": "s", "body": text + " Really."}
    )
    assert status == 201 and third["status"] == "published", third
