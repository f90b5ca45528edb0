"""Dashboard fixtures: signed-in browsers (Django test clients) and comments in queues."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import MembershipFactory, StoryFactory
from townhall.accounts.models import Membership, Role
from townhall.comments.models import Comment, Status
from townhall.review import audit


@pytest.fixture
def gazette(gazette):
    """The Gazette on the engine's default thresholds: the cards and the settings show them."""
    gazette.hold_thresholds, gazette.reject_thresholds = {}, {}
    gazette.save(update_fields=["hold_thresholds", "reject_thresholds"])
    return gazette


@pytest.fixture
def desk(mallory) -> Client:
    """Mallory, the Gazette's moderator, signed in to the dashboard."""
    client = Client()
    client.force_login(mallory.user)
    return client


@pytest.fixture
def hank(herald) -> Membership:
    """A moderator of the Herald, and of nothing else."""
    return MembershipFactory(
        site=herald, display_name="Hank", role=Role.MODERATOR, user__email="hank@example.org"
    )


def signed_in(member: Membership) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture
def story(gazette):
    return StoryFactory(site=gazette, key="bridge", title="The footbridge reopens")


def make_comment(
    author: Membership | None,
    body: str = "A fair point about the bridge.",
    *,
    status: str = Status.PENDING,
    story: Any = None,
    reasons: list[dict[str, Any]] | None = None,
    scores: dict[str, float] | None = None,
    **extra: Any,
) -> Comment:
    """A comment as the posting path would have stored it, with the engine's audit entry."""
    site = author.site if author is not None else story.site
    if story is None:
        story = StoryFactory(site=site)
    comment = Comment.objects.create(
        site=site,
        story=story,
        author=author,
        body=body,
        body_html=f"<p>{body}</p>",
        status=status,
        reasons=reasons if reasons is not None else [],
        scores=scores or {},
        **extra,
    )
    comment.root_id = comment.pk
    comment.save(update_fields=["root"])
    if status == Status.PUBLISHED:
        type(story).objects.filter(pk=story.pk).update(comment_count=1)
    audit.record_judgement(comment)
    return comment


TOXIC = "You are an idiot and a liar, frankly."
TOXIC_REASONS = [
    {"guideline": "nice", "attribute": "insult", "score": 0.91, "spans": [[11, 16], [23, 27]]}
]
TOXIC_SCORES = {
    "toxicity": 0.88,
    "obscene": 0.05,
    "sexual": 0.01,
    "threat": 0.02,
    "insult": 0.91,
    "identity_attack": 0.03,
    "spam": 0.0,
}


@pytest.fixture
def held(alice, story) -> Comment:
    """Alice's insulting comment, held by the engine under Be Nice."""
    return make_comment(
        alice, TOXIC, story=story, reasons=[dict(r) for r in TOXIC_REASONS], scores=TOXIC_SCORES
    )
