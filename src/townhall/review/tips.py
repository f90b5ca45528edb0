"""Share with Us: eyewitness accounts and tips, kept apart from moderation."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from townhall.accounts.models import User
from townhall.api.errors import ApiError
from townhall.comments.models import Comment, Status
from townhall.lib import ratelimit
from townhall.review import audit
from townhall.review.models import ActorKind, Tip
from townhall.review.services import require_moderator
from townhall.sites.models import Site


def submit_tip(
    site: Site,
    user: User | None,
    body: str = "",
    contact: str = "",
    story_key: str = "",
    comment_id: int | None = None,
    client: str = "",
) -> Tip:
    """Send a tip to the newsroom, or mark one's own comment as an eyewitness account.

    Raises:
        ApiError: 422 empty tip, 404/403 for a comment that is not the caller's,
            429 too many tips.
    """
    ratelimit.hit("tip", str(user.pk) if user else f"anon:{client}", 10, 3600)
    comment = None
    if comment_id is not None:
        if user is None:
            raise ApiError(401, "not_authenticated", gettext("Log in to mark your comment."))
        comment = (
            Comment.objects.filter(pk=comment_id, site=site)
            .select_related("author", "story")
            .first()
        )
        if comment is None or comment.status == Status.DELETED:
            raise ApiError(404, "comment_not_found", gettext("No such comment."))
        if comment.author is None or comment.author.user_id != user.pk:
            raise ApiError(
                403,
                "not_yours",
                gettext("Only the author can mark a comment as an eyewitness account."),
            )
        if Tip.objects.filter(comment=comment).exists():
            raise ApiError(
                409, "already_marked", gettext("This comment is already with the newsroom.")
            )
        story_key = comment.story.key
    body = (body or "").strip()
    if comment is None and len(body) < 5:
        raise ApiError(422, "too_short", gettext("Tell us a little more."))
    if len(body) > 10_000:
        raise ApiError(413, "too_long", gettext("Tips are limited to 10,000 characters."))
    return Tip.objects.create(
        site=site,
        user=user,
        body=body,
        contact=(contact or "").strip()[:300],
        story_key=(story_key or "")[:200],
        comment=comment,
    )


def list_tips(site: Site, state: str | None = None) -> QuerySet[Tip]:
    rows = Tip.objects.filter(site=site).select_related("comment", "user").order_by("-created_at")
    return rows.filter(state=state) if state else rows


def set_tip_state(tip_id: int, actor: User | None, state: str, note: str = "") -> Tip:
    """Move a tip to ``new``, ``followed_up`` or ``closed``, with the newsroom's note."""
    if state not in Tip.State.values:
        raise ApiError(422, "invalid_state", f"state must be one of {', '.join(Tip.State.values)}.")
    tip = Tip.objects.select_related("site").filter(pk=tip_id).first()
    if tip is None:
        raise ApiError(404, "tip_not_found", gettext("No such tip."))
    require_moderator(actor, tip.site)
    with transaction.atomic():
        tip.state = state
        if note:
            tip.note = note[:5000]
        tip.save(update_fields=["state", "note"])
        audit.record(
            tip.site,
            f"tip.{state}",
            actor_kind=ActorKind.MODERATOR,
            actor=actor,
            note=note,
            data={"tip_id": tip.pk},
        )
    return tip
