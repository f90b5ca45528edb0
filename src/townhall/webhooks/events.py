"""Emitting events: called by the services where things happen, inside their transaction.

Each call writes the events to the outbox table (one INSERT) and queues their
dispatch for after the commit, so posting or moderating never waits on a
webhook endpoint or a mail server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

from townhall.lib import background
from townhall.webhooks.models import Event

if TYPE_CHECKING:
    from townhall.accounts.models import Membership, User
    from townhall.comments.models import Comment
    from townhall.reports.models import Report
    from townhall.sites.models import Story

event_dispatched = Signal()
"""Arguments: ``event`` (an :class:`Event`).

Sent by a background worker once for every event, inside the transaction that
queues its webhook deliveries. Receivers queue their own background work with
``background.send_on_commit``; notifications listen here.
"""


def comment_data(comment: Comment) -> dict[str, Any]:
    """The comment as webhooks show it; uses only what the caller has already loaded."""
    author = comment.author
    data = {
        "id": comment.pk,
        "story_id": comment.story_id,
        "parent_id": comment.parent_id,
        "author": (
            {"id": author.user_id, "display_name": author.display_name}
            if author is not None
            else {"id": None, "display_name": comment.author_name}
        ),
        "body": comment.body,
        "status": comment.status,
        "reasons": comment.reasons,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }
    story = comment._state.fields_cache.get("story")
    if story is not None:
        # In hand already (a post has it): the dispatcher need not read it again.
        data["story"] = story_data(story)
    return data


def story_data(story: Story) -> dict[str, Any]:
    """The story as webhooks show it, beside the comment."""
    return {"id": story.pk, "key": story.key, "title": story.title, "url": story.url}


def emit(site_id: int, *events: tuple[str, dict[str, Any]]) -> None:
    """Write ``(name, payload)`` events for a site and dispatch them after the commit."""
    if not events:
        return
    rows = Event.objects.bulk_create(
        [Event(site_id=site_id, name=name, payload=payload) for name, payload in events]
    )
    from townhall.webhooks import tasks

    background.send_on_commit(tasks.dispatch, [row.pk for row in rows])


def comment_posted(comment: Comment) -> None:
    """``comment.created``, and ``comment.published`` or ``comment.rejected`` by the engine."""
    data = {"comment": comment_data(comment), "by": "engine"}
    events = [("comment.created", data)]
    if comment.status in ("published", "rejected"):
        events.append((f"comment.{comment.status}", data))
    emit(comment.site_id, *events)


def comment_edited(comment: Comment, previous: str) -> None:
    """``comment.published``/``comment.rejected`` when the engine's new judgement of an
    edit changes the comment's status to one of them."""
    if comment.status != previous and comment.status in ("published", "rejected"):
        data = {"comment": comment_data(comment), "by": "engine", "previous_status": previous}
        emit(comment.site_id, (f"comment.{comment.status}", data))


def comment_decided(comment: Comment, previous: str, action: str) -> None:
    """``comment.published``/``comment.rejected`` for a moderator's approve or reject.

    Sent even when the status stays the same (approving a reported, published
    comment), because the decision settles the comment's reports.
    """
    if action not in ("approve", "reject"):
        return
    data = {"comment": comment_data(comment), "by": "moderator", "previous_status": previous}
    emit(comment.site_id, (f"comment.{comment.status}", data))


def comment_reported(comment: Comment, report: Report) -> None:
    data = {
        "comment": comment_data(comment),
        "report": {
            "id": report.pk,
            "reason": report.reason,
            "guideline": report.guideline,
            "note": report.note,
            "weight": report.weight,
        },
        "hidden": comment.status == "pending",
    }
    emit(comment.site_id, ("comment.reported", data))


def member_moderated(
    membership: Membership, action: str, moderator: User | None, note: str = ""
) -> None:
    """``user.banned`` when ``action`` is a ban (suspensions and reinstatements send none)."""
    if action != "ban":
        return
    data = {
        "user": {"id": membership.user_id, "display_name": membership.display_name},
        "moderator_id": moderator.pk if moderator is not None else None,
        "note": note,
    }
    emit(membership.site_id, ("user.banned", data))
