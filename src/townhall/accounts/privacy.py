"""A reader's data: the addresses we keep (hashed, for a while), the copy they may
download and the erasure they may ask for."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from townhall.accounts.models import IpSighting, Membership, User
from townhall.api.errors import ApiError
from townhall.comments import cache as thread_cache
from townhall.comments.models import Comment, Reaction, Status
from townhall.comments.services import set_status
from townhall.lib.net import ip_hash
from townhall.reports.models import Report
from townhall.review.models import Appeal, Tip

# An account without a password (publisher SSO) proves itself by a log-in this recent.
RECENT_LOGIN = timedelta(minutes=10)


def record_ip(user: User, ip: str, kind: str) -> None:
    """Remember, as a salted hash, that ``user`` signed up or logged in from ``ip``."""
    IpSighting.objects.update_or_create(
        user=user, ip_hash=ip_hash(ip), kind=kind, defaults={"seen_at": timezone.now()}
    )


def purge_ip_hashes(now: datetime | None = None) -> int:
    """Delete address hashes older than ``TOWNHALL_IP_RETENTION_DAYS``; return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TOWNHALL_IP_RETENTION_DAYS)
    deleted, _ = IpSighting.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(user: User) -> dict[str, Any]:
    """Everything townhall holds about ``user``, as one JSON-ready document."""
    comments = (
        Comment.objects.filter(author__user=user)
        .select_related("site", "story")
        .prefetch_related("revisions")
        .order_by("created_at")
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "id": user.pk,
            "email": user.email,
            "email_verified": user.email_verified,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "is_admin": user.is_admin,
        },
        "memberships": [
            {
                "site": m.site.slug,
                "display_name": m.display_name,
                "role": m.role,
                "status": m.standing(),
                "suspended_until": _when(m.suspended_until),
                "joined": _when(m.created_at),
            }
            for m in Membership.objects.filter(user=user).select_related("site")
        ],
        "sso_identities": [
            {"site": i.site.slug, "sub": i.sub, "email": i.email, "created_at": _when(i.created_at)}
            for i in user.sso_identities.select_related("site")
        ],
        "api_tokens": [
            {"name": t.name, "prefix": t.prefix, "created_at": _when(t.created_at)}
            for t in user.api_tokens.all()
        ],
        "comments": [
            {
                "id": c.pk,
                "site": c.site.slug,
                "story": c.story.key,
                "story_url": c.story.url,
                "parent_id": c.parent_id,
                "status": c.status,
                "body": c.body,
                "created_at": _when(c.created_at),
                "edited_at": _when(c.edited_at),
                "reasons": c.reasons,
                "revisions": [
                    {"body": r.body, "replaced_at": _when(r.created_at)}
                    for r in sorted(c.revisions.all(), key=lambda r: r.created_at)
                ],
            }
            for c in comments
        ],
        "reactions": [
            {"comment_id": r.comment_id, "kind": r.kind, "created_at": _when(r.created_at)}
            for r in Reaction.objects.filter(user=user).order_by("created_at")
        ],
        "reports": [
            {
                "comment_id": r.comment_id,
                "reason": r.reason,
                "note": r.note,
                "outcome": r.outcome,
                "created_at": _when(r.created_at),
            }
            for r in Report.objects.filter(reporter=user).order_by("created_at")
        ],
        "appeals": [
            {"comment_id": a.comment_id, "note": a.note, "state": a.state, "answer": a.answer}
            for a in Appeal.objects.filter(user=user).order_by("created_at")
        ],
        "tips": [
            {
                "site": t.site.slug,
                "story": t.story_key,
                "body": t.body,
                "contact": t.contact,
                "created_at": _when(t.created_at),
            }
            for t in Tip.objects.filter(user=user).select_related("site").order_by("created_at")
        ],
        "muted_user_ids": list(user.mutes.values_list("muted_id", flat=True)),
        "ip_address_hashes": [
            {"hash": s.ip_hash, "kind": s.kind, "seen_at": _when(s.seen_at)}
            for s in user.ip_sightings.order_by("seen_at")
        ],
    }


def confirm_identity(user: User, password: str | None) -> None:
    """Ask for the password again, or for accounts without one, a recent log-in.

    Raises:
        ApiError: 403 ``wrong_password`` or ``reauthenticate``.
    """
    if user.has_usable_password():
        if not password or not user.check_password(password):
            raise ApiError(403, "wrong_password", gettext("The password is not right."))
        return
    if user.last_login is None or timezone.now() - user.last_login > RECENT_LOGIN:
        raise ApiError(
            403,
            "reauthenticate",
            gettext("Sign in again, then delete the account within 10 minutes."),
        )


def erase_account(user: User) -> None:
    """Delete ``user`` and what identifies them; keep the threads they were part of.

    Their comments become "deleted" tombstones (body and revisions gone) so replies
    keep their place; likes and open reports they gave are taken back from the
    counts; memberships, identities, tokens, mutes and address hashes go with the
    account row, and with it every session. Tips they sent stay with the newsroom,
    without their contact details.
    """
    with transaction.atomic():
        stories: set[int] = set()
        for comment in Comment.objects.filter(author__user=user).select_for_update():
            comment.revisions.all().delete()
            comment.body = comment.body_html = ""
            comment.reasons = []
            set_status(comment, Status.DELETED, ["body", "body_html", "reasons"])
        liked = Reaction.objects.filter(user=user, kind=Reaction.Kind.LIKE)
        for comment_id, story_id in liked.values_list("comment_id", "comment__story_id"):
            Comment.objects.filter(pk=comment_id, like_count__gt=0).update(
                like_count=F("like_count") - 1
            )
            stories.add(story_id)
        for report in Report.objects.filter(reporter=user, outcome="open"):
            Comment.objects.filter(pk=report.comment_id, open_reports__gt=0).update(
                open_reports=F("open_reports") - 1, report_weight=F("report_weight") - report.weight
            )
        Tip.objects.filter(user=user).update(contact="")
        user.delete()
    for story_id in stories:
        thread_cache.invalidate_story(story_id)
