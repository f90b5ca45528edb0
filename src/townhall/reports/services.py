"""Readers' reports: who may report, how much a report weighs, when a comment hides."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext

from townhall.accounts.models import User
from townhall.api.errors import ApiError
from townhall.comments.models import Comment, Status
from townhall.comments.services import set_status, visible_comment
from townhall.lib import ratelimit
from townhall.reports.models import Reason, Report
from townhall.review import audit
from townhall.review.models import ActorKind
from townhall.webhooks import events

MIN_WEIGHT, MAX_WEIGHT = 0.25, 2.0


def reporter_weight(user: User) -> float:
    """How much one report by ``user`` counts.

    A reporter starts at 1.0. Reports that moderators upheld raise it towards 2.0,
    dismissed ones lower it towards 0.25 (a Laplace-smoothed hit rate, doubled),
    and an account younger than ``TOWNHALL_NEW_ACCOUNT_HOURS`` (a day) counts half.
    """
    record = Report.objects.filter(reporter=user).aggregate(
        upheld=Count("pk", filter=Q(outcome="upheld")),
        dismissed=Count("pk", filter=Q(outcome="dismissed")),
    )
    weight = 2 * (record["upheld"] + 1) / (record["upheld"] + record["dismissed"] + 2)
    # The age that makes an account new for the posting limits (accounts.trust), so
    # one setting moves both.
    if timezone.now() - user.date_joined < timedelta(hours=settings.TOWNHALL_NEW_ACCOUNT_HOURS):
        weight *= 0.5
    return max(MIN_WEIGHT, min(MAX_WEIGHT, weight))


def report_comment(comment_id: int, user: User, reason: str, note: str = "") -> Report:
    """Store one reader's report (one per reader per comment) and weigh it.

    When the comment's open reports weigh as much as its site's
    ``report_hide_weight``, it is hidden (pending) until a moderator decides.

    Raises:
        ApiError: 404 unknown or unpublished comment, 409 already reported,
            422 bad reason or own comment, 429 too many reports.
    """
    if reason not in Reason.values:
        raise ApiError(
            422,
            "invalid_reason",
            gettext("Reason must be one of: %(reasons)s.") % {"reasons": ", ".join(Reason.values)},
        )
    comment = visible_comment(comment_id)
    if comment.author is not None and comment.author.user_id == user.pk:
        raise ApiError(422, "own_comment", gettext("You cannot report your own comment."))
    ratelimit.hit("report", str(user.pk), 20, 3600)
    weight = reporter_weight(user)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                comment=comment,
                reporter=user,
                reason=reason,
                note=(note or "")[:500],
                weight=weight,
            )
            Comment.objects.filter(pk=comment.pk).update(
                report_weight=F("report_weight") + weight, open_reports=F("open_reports") + 1
            )
            comment.refresh_from_db(fields=["report_weight", "open_reports", "status"])
            if (
                comment.status == Status.PUBLISHED
                and comment.report_weight >= comment.site.report_hide_weight
            ):
                _hide(comment, report)
            events.comment_reported(comment, report)
    except IntegrityError:
        raise ApiError(
            409, "already_reported", gettext("You have already reported this comment.")
        ) from None
    return report


def _hide(comment: Comment, report: Report) -> None:
    reasons = list(comment.reasons or [])
    reasons.append(
        {
            "guideline": report.guideline or "proactive",
            "attribute": "reports",
            "score": round(comment.report_weight, 2),
            "spans": [],
        }
    )
    comment.reasons = reasons
    set_status(comment, Status.PENDING, ["reasons"])
    audit.record(
        comment.site,
        "comment.hidden_by_reports",
        actor_kind=ActorKind.READERS,
        comment=comment,
        guideline=report.guideline or "",
        data={"report_weight": comment.report_weight, "open_reports": comment.open_reports},
    )


def close_reports(comment: Comment, outcome: str) -> int:
    """Settle a comment's open reports as ``upheld`` or ``dismissed``; return how many."""
    settled = Report.objects.filter(comment=comment, outcome="open").update(outcome=outcome)
    Comment.objects.filter(pk=comment.pk).update(report_weight=0.0, open_reports=0)
    comment.report_weight, comment.open_reports = 0.0, 0
    return settled
