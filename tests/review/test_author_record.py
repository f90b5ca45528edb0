"""The author's record the engine weighs stays exact while it is kept in the cache."""

from __future__ import annotations

import pytest

from townhall.comments.models import Comment, Status
from townhall.review import services as review
from townhall.review.policy import RECORD_REFRESH, context_for

pytestmark = pytest.mark.django_db


def _record(member) -> tuple[int, int]:
    seen = context_for(member)
    return seen.approved_count, seen.rejected_count


def _post(api, n: int) -> list[int]:
    ids = []
    for i in range(n):
        status, body = api.post(
            "/comments", {"site": "gazette", "story": "rec", "body": f"Point {i}, plainly made."}
        )
        assert status == 201, body
        ids.append(body["id"])
    return ids


def test_the_record_counts_every_post_and_every_decision(settings, alice, mallory, as_alice):
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    assert _record(alice) == (0, 0)
    ids = _post(as_alice, 3)
    assert _record(alice) == (3, 0)  # now cached, with the three under its watermark
    # A decision on a comment the cache already counted is seen at once.
    review.moderate_comment(ids[0], mallory.user, "reject", guideline="nice")
    assert _record(alice) == (2, 1)
    # Many more posts than the refresh interval: still exact, with no recount needed.
    more = _post(as_alice, RECORD_REFRESH + 5)
    assert _record(alice) == (2 + RECORD_REFRESH + 5, 1)
    review.moderate_comment(more[-1], mallory.user, "reject", guideline="spam")
    review.moderate_comment(ids[1], mallory.user, "reject", guideline="clean")
    published = Comment.objects.filter(author=alice, status=Status.PUBLISHED).count()
    rejected = Comment.objects.filter(author=alice, status=Status.REJECTED).count()
    assert (rejected, published) == (3, RECORD_REFRESH + 5)
    assert _record(alice) == (published, rejected)
