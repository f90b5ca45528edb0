"""Appeals: an author asks once for a second look at a held or rejected comment,
and is told the answer (the statement of reasons and redress the EU DSA asks for)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from townhall.accounts.models import User
from townhall.api.errors import ApiError
from townhall.comments.models import Comment, Status
from townhall.review import audit
from townhall.review.models import ActorKind, Appeal
from townhall.review.services import moderate_comment, require_moderator
from townhall.sites.models import Site


def file_appeal(comment_id: int, user: User, note: str) -> Appeal:
    """Appeal one's own held or rejected comment, once.

    Raises:
        ApiError: 404 unknown, 403 not the author, 409 not held/rejected or already
            appealed, 422 empty note.
    """
    comment = Comment.objects.select_related("author", "site").filter(pk=comment_id).first()
    if comment is None or comment.status == Status.DELETED:
        raise ApiError(404, "comment_not_found", gettext("No such comment."))
    if comment.author is None or comment.author.user_id != user.pk:
        raise ApiError(403, "not_yours", gettext("Only the author can appeal."))
    if comment.status not in (Status.PENDING, Status.REJECTED):
        raise ApiError(
            409, "not_appealable", gettext("Only held or rejected comments can be appealed.")
        )
    note = " ".join((note or "").split())
    if len(note) < 5:
        raise ApiError(422, "too_short", gettext("Say briefly why the decision should change."))
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                comment=comment, site=comment.site, user=user, note=note[:1000]
            )
            audit.record(
                comment.site,
                "appeal.filed",
                actor_kind=ActorKind.AUTHOR,
                actor=user,
                comment=comment,
                note=note,
            )
    except IntegrityError:
        raise ApiError(
            409, "already_appealed", gettext("This comment has been appealed already.")
        ) from None
    return appeal


def list_appeals(site: Site, state: str | None = "open") -> QuerySet[Appeal]:
    rows = (
        Appeal.objects.filter(site=site)
        .select_related("comment__story", "comment__author", "user")
        .order_by("created_at")
    )
    return rows.filter(state=state) if state else rows


def decide_appeal(appeal_id: int, actor: User | None, grant: bool, answer: str) -> Appeal:
    """Grant (the comment is published) or deny an appeal, with an answer for the author."""
    appeal = Appeal.objects.select_related("site", "comment").filter(pk=appeal_id).first()
    if appeal is None:
        raise ApiError(404, "appeal_not_found", gettext("No such appeal."))
    require_moderator(actor, appeal.site)
    if appeal.state != Appeal.State.OPEN:
        raise ApiError(409, "already_decided", gettext("This appeal has been answered."))
    answer = (answer or "").strip()
    if len(answer) < 2:
        raise ApiError(422, "answer_required", gettext("Write the author a short answer."))
    with transaction.atomic():
        if grant:
            moderate_comment(appeal.comment_id, actor, "approve", note=f"appeal granted: {answer}")
        appeal.state = Appeal.State.GRANTED if grant else Appeal.State.DENIED
        appeal.answer = answer[:5000]
        appeal.decided_by = actor
        appeal.decided_at = timezone.now()
        appeal.save(update_fields=["state", "answer", "decided_by", "decided_at"])
        audit.record(
            appeal.site,
            f"appeal.{appeal.state}",
            actor_kind=ActorKind.MODERATOR,
            actor=actor,
            comment=appeal.comment,
            note=answer,
        )
    return appeal
