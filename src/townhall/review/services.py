"""What moderators do: decide on comments, act on people, work the queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from townhall.accounts.models import Membership, MemberStatus, Role, User
from townhall.api.errors import ApiError
from townhall.comments.models import Comment, Status
from townhall.comments.services import set_status
from townhall.lib import cursor as cursor_codec
from townhall.reports.services import close_reports
from townhall.review import audit
from townhall.review.models import ActorKind, AuditEntry
from townhall.sites.guidelines import GUIDELINE_KEYS
from townhall.sites.models import Site
from townhall.webhooks import events

QUEUES = ("pending", "reported", "rejected", "approved", "featured")
COMMENT_ACTIONS = ("approve", "reject", "feature", "unfeature")
USER_ACTIONS = ("suspend", "ban", "reinstate")
_UNDOABLE = ("comment.approved", "comment.rejected", "comment.featured", "comment.unfeatured")
_AUDIT_ACTION = {
    "approve": "comment.approved",
    "reject": "comment.rejected",
    "feature": "comment.featured",
    "unfeature": "comment.unfeatured",
    "suspend": "user.suspended",
    "ban": "user.banned",
    "reinstate": "user.reinstated",
}


def require_moderator(user: User | None, site: Site) -> Membership | None:
    """Return the moderator's membership on ``site`` (None for an install admin without one).

    Raises:
        ApiError: 401 anonymous, 403 anyone who does not moderate ``site``.
    """
    if user is None:
        raise ApiError(401, "not_authenticated", gettext("Log in as a moderator."))
    membership = Membership.objects.filter(user=user, site=site).first()
    if user.is_admin:
        return membership
    if membership is None or membership.role != Role.MODERATOR:
        raise ApiError(403, "not_a_moderator", gettext("You do not moderate this site."))
    if membership.standing() != MemberStatus.ACTIVE:
        raise ApiError(403, "not_a_moderator", gettext("Your account is not active on this site."))
    return membership


def _check_guideline(guideline: str | None) -> str:
    if guideline and guideline not in GUIDELINE_KEYS:
        raise ApiError(
            422,
            "invalid_guideline",
            f"guideline must be one of {', '.join(sorted(GUIDELINE_KEYS))}.",
        )
    return guideline or ""


def moderate_comment(
    comment_id: int,
    moderator: User | None,
    action: str,
    guideline: str | None = None,
    note: str = "",
) -> Comment:
    """Approve, reject, feature or unfeature a comment, and record it.

    Approving dismisses the comment's open reports; rejecting upholds them and
    tells the author the guideline. Both mark the comment reviewed.

    Raises:
        ApiError: 401/403 not a moderator of its site, 404 unknown, 409 not possible
            in the comment's state, 422 bad action or guideline.
    """
    if action not in COMMENT_ACTIONS:
        raise ApiError(
            422, "invalid_action", f"action must be one of {', '.join(COMMENT_ACTIONS)}."
        )
    guideline = _check_guideline(guideline)
    comment = (
        Comment.objects.select_related("site", "author", "story").filter(pk=comment_id).first()
    )
    if comment is None:
        raise ApiError(404, "comment_not_found", gettext("No such comment."))
    require_moderator(moderator, comment.site)
    if comment.status == Status.DELETED:
        raise ApiError(409, "comment_deleted", gettext("Its author deleted this comment."))
    now = timezone.now()
    previous = {"status": comment.status, "featured": comment.featured}
    with transaction.atomic():
        if action == "approve":
            close_reports(comment, "dismissed")
            comment.reviewed_at, comment.reviewed_by = now, moderator
            comment.reasons = [r for r in comment.reasons if r.get("attribute") != "reports"]
            set_status(comment, Status.PUBLISHED, ["reviewed_at", "reviewed_by", "reasons"])
        elif action == "reject":
            close_reports(comment, "upheld")
            chosen = guideline or next((r["guideline"] for r in comment.reasons), "")
            comment.reasons = [
                {"guideline": chosen, "attribute": "moderator", "score": 1.0, "spans": []},
                *[r for r in comment.reasons if r.get("attribute") != "moderator"],
            ]
            comment.reviewed_at, comment.reviewed_by = now, moderator
            comment.featured = False
            set_status(
                comment, Status.REJECTED, ["reviewed_at", "reviewed_by", "reasons", "featured"]
            )
            guideline = chosen
        else:
            if action == "feature" and comment.status != Status.PUBLISHED:
                raise ApiError(
                    409, "not_published", gettext("Only published comments can be featured.")
                )
            comment.featured = action == "feature"
            comment.save(update_fields=["featured"])
        audit.record(
            comment.site,
            _AUDIT_ACTION[action],
            actor_kind=ActorKind.MODERATOR,
            actor=moderator,
            comment=comment,
            guideline=guideline,
            note=note,
            data={"scores": comment.scores, "previous": previous},
        )
        events.comment_decided(comment, previous["status"], action)
    return comment


def revert_last(moderator: User | None, site: Site) -> Comment | None:
    """Undo the moderator's latest decision on a comment in ``site`` (the dashboard's z).

    Restores the status and featured flag the comment had before; reports that the
    decision settled stay settled. Returns the comment, or None if nothing is left
    to undo.
    """
    require_moderator(moderator, site)
    entry = (
        AuditEntry.objects.filter(
            site=site, actor=moderator, action__in=_UNDOABLE, comment__isnull=False
        )
        .exclude(data__has_key="reverted")
        .select_related("comment__site", "comment__author")
        .order_by("-created_at", "-pk")
        .first()
    )
    if entry is None or "previous" not in entry.data:
        return None
    comment = entry.comment
    previous = entry.data["previous"]
    with transaction.atomic():
        entry.data = {**entry.data, "reverted": True}
        entry.save(update_fields=["data"])
        comment.featured = bool(previous.get("featured"))
        if comment.status != Status.DELETED:
            set_status(comment, previous.get("status", comment.status), ["featured"])
        audit.record(
            site,
            "comment.reverted",
            actor_kind=ActorKind.MODERATOR,
            actor=moderator,
            comment=comment,
            data={"undid": entry.action, "entry": entry.pk},
        )
    return comment


def moderate_user(
    site: Site,
    user_id: int,
    moderator: User | None,
    action: str,
    until: datetime | None = None,
    note: str = "",
) -> Membership:
    """Suspend (until a time; a day by default), ban or reinstate a member of ``site``.

    Raises:
        ApiError: 401/403 not a moderator, 403 acting on another moderator (only an
            install admin may), 404 not a member, 422 bad action or time.
    """
    if action not in USER_ACTIONS:
        raise ApiError(422, "invalid_action", f"action must be one of {', '.join(USER_ACTIONS)}.")
    require_moderator(moderator, site)
    target = Membership.objects.select_related("user").filter(site=site, user_id=user_id).first()
    if target is None:
        raise ApiError(404, "user_not_found", gettext("No such reader on this site."))
    if (target.role == Role.MODERATOR or target.user.is_admin) and not moderator.is_admin:  # type: ignore[union-attr]
        raise ApiError(
            403, "protected_user", gettext("Only an install admin can act on a moderator.")
        )
    if action == "suspend":
        until = until or timezone.now() + timedelta(days=1)
        if until <= timezone.now():
            raise ApiError(422, "invalid_until", gettext("A suspension must end in the future."))
        target.status, target.suspended_until = MemberStatus.SUSPENDED, until
    elif action == "ban":
        target.status, target.suspended_until = MemberStatus.BANNED, None
    else:
        target.status, target.suspended_until = MemberStatus.ACTIVE, None
    with transaction.atomic():
        target.save(update_fields=["status", "suspended_until"])
        audit.record(
            site,
            _AUDIT_ACTION[action],
            actor_kind=ActorKind.MODERATOR,
            actor=moderator,
            subject=target.user,
            note=note,
            data={"until": until.isoformat() if action == "suspend" and until else None},
        )
        events.member_moderated(target, action, moderator, note)
    return target


@dataclass(frozen=True)
class QueueQuery:
    site: Site
    queue: str = "pending"
    story: str | None = None
    guideline: str | None = None
    author: int | None = None
    order: str = "newest"
    cursor: str | None = None
    limit: int = 50


def _queue_filter(queue: str) -> Q:
    return {
        "pending": Q(status=Status.PENDING),
        "reported": Q(open_reports__gt=0) & ~Q(status=Status.DELETED),
        "rejected": Q(status=Status.REJECTED),
        "approved": Q(status=Status.PUBLISHED, reviewed_at__isnull=False),
        "featured": Q(status=Status.PUBLISHED, featured=True),
    }[queue]


def queue_counts(site: Site) -> dict[str, int]:
    """How many comments wait in each queue, in one query."""
    return Comment.objects.filter(site=site).aggregate(
        **{name: Count("pk", filter=_queue_filter(name)) for name in QUEUES}
    )


def list_queue(q: QueueQuery) -> dict[str, Any]:
    """A page of a moderation queue with everything a moderator needs to decide.

    Costs a fixed number of queries: the page, its reports, its authors' records.
    """
    if q.queue not in QUEUES:
        raise ApiError(400, "invalid_queue", f"queue must be one of {', '.join(QUEUES)}.")
    if q.order not in ("newest", "oldest"):
        raise ApiError(400, "invalid_order", gettext("order must be newest or oldest."))
    if not 1 <= q.limit <= 200:
        raise ApiError(400, "invalid_limit", gettext("limit must be between 1 and 200."))
    rows: QuerySet[Comment] = (
        Comment.objects.filter(_queue_filter(q.queue), site=q.site)
        .select_related("story", "author__user")
        .prefetch_related("reports")
    )
    if q.story:
        rows = rows.filter(story__key=q.story)
    if q.author:
        rows = rows.filter(author__user_id=q.author)
    if q.guideline:
        rows = rows.filter(reasons__icontains=f'"guideline": "{q.guideline}"')
    desc = q.order == "newest"
    rows = rows.order_by(*(["-created_at", "-id"] if desc else ["created_at", "id"]))
    if q.cursor:
        try:
            created, pk = cursor_codec.decode(f"queue-{q.order}", q.cursor)
            created = datetime.fromisoformat(created)
        except (cursor_codec.BadCursor, ValueError, TypeError):
            raise ApiError(400, "invalid_cursor", gettext("The cursor is not valid.")) from None
        if desc:
            rows = rows.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
        else:
            rows = rows.filter(Q(created_at__gt=created) | Q(created_at=created, id__gt=pk))
    page = list(rows[: q.limit + 1])
    more = len(page) > q.limit
    page = page[: q.limit]
    records = _author_records([c.author_id for c in page if c.author_id])
    return {
        "queue": q.queue,
        "counts": queue_counts(q.site),
        "comments": [_queue_item(c, records) for c in page],
        "next_cursor": cursor_codec.encode(
            f"queue-{q.order}", [page[-1].created_at.isoformat(), page[-1].pk]
        )
        if more
        else None,
    }


def _author_records(membership_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = (
        Comment.objects.filter(author_id__in=set(membership_ids))
        .values("author_id")
        .annotate(
            published=Count("pk", filter=Q(status=Status.PUBLISHED)),
            rejected=Count("pk", filter=Q(status=Status.REJECTED)),
            pending=Count("pk", filter=Q(status=Status.PENDING)),
        )
    )
    return {r.pop("author_id"): r for r in rows}


def _queue_item(c: Comment, records: dict[int, dict[str, int]]) -> dict[str, Any]:
    author = None
    if c.author is not None:
        user = c.author.user
        author = {
            "id": user.pk,
            "display_name": c.author.display_name,
            "status": c.author.standing(),
            "role": c.author.role,
            "joined": user.date_joined.isoformat(),
            "record": records.get(c.author_id, {"published": 0, "rejected": 0, "pending": 0}),
        }
    return {
        "id": c.pk,
        "parent_id": c.parent_id,
        "story": {"key": c.story.key, "title": c.story.title, "url": c.story.url},
        "author": author,
        "body": c.body,
        "body_html": c.body_html,
        "status": c.status,
        "featured": c.featured,
        "created_at": c.created_at.isoformat(),
        "edited_at": c.edited_at.isoformat() if c.edited_at else None,
        "reasons": c.reasons,
        "scores": c.scores,
        "report_weight": c.report_weight,
        "reports": [
            {
                "reason": r.reason,
                "guideline": r.guideline,
                "note": r.note,
                "weight": r.weight,
                "outcome": r.outcome,
                "created_at": r.created_at.isoformat(),
            }
            for r in c.reports.all()
        ],
    }
