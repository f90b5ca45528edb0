"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from townhall.accounts.models import User
from townhall.comments.models import Comment
from townhall.lib import metrics
from townhall.review.models import ActorKind, AuditEntry
from townhall.sites.models import Site


def record(
    site: Site,
    action: str,
    *,
    actor_kind: str,
    actor: User | None = None,
    comment: Comment | None = None,
    subject: User | None = None,
    guideline: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; call it inside the transaction of the change it records."""
    if action.startswith("comment."):
        metrics.record_decision(actor_kind, action, guideline)
    subject_id = subject.pk if subject is not None else None
    if subject_id is None and comment is not None and comment.author is not None:
        subject_id = comment.author.user_id
    return AuditEntry.objects.create(
        site=site,
        action=action,
        actor_kind=actor_kind,
        actor=actor,
        comment=comment,
        subject_id=subject_id,
        guideline=guideline,
        note=note[:2000],
        data=data or {},
    )


ENGINE_ACTIONS = {
    "published": "comment.published",
    "pending": "comment.held",
    "rejected": "comment.rejected",
}


def record_judgement(comment: Comment, edited: bool = False) -> AuditEntry:
    """Record what the engine decided about a new or edited comment, with its scores."""
    first = comment.reasons[0]["guideline"] if comment.reasons else ""
    return record(
        comment.site,
        ENGINE_ACTIONS.get(comment.status, f"comment.{comment.status}"),
        actor_kind=ActorKind.ENGINE,
        comment=comment,
        guideline=first,
        data={"scores": comment.scores, "reasons": comment.reasons, "edited": edited},
    )
