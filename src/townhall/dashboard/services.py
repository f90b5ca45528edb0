"""What the dashboard adds to the moderation backend: cards ready to render,
bulk decisions, undo and the site's moderators.

Views stay thin: they parse the request, call one of these or a
``review.services`` function, and render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from townhall.accounts.models import Membership, Role, User
from townhall.accounts.services import clean_display_name
from townhall.api.errors import ApiError
from townhall.comments.models import Status
from townhall.dashboard.highlight import highlight, reason_spans
from townhall.moderation.types import ATTRIBUTES, DEFAULT_HOLD, DEFAULT_REJECT
from townhall.reports.models import Reason
from townhall.review import audit
from townhall.review.models import ActorKind
from townhall.review.services import moderate_comment
from townhall.sites.guidelines import DEFAULT_GUIDELINES
from townhall.sites.models import Site

SUSPENSIONS = (1, 7, 30)
_REASON_LABELS = dict(Reason.choices)
_ATTRIBUTE_LABELS = {
    "toxicity": gettext_lazy("Toxicity"),
    "obscene": gettext_lazy("Obscene"),
    "sexual": gettext_lazy("Sexual"),
    "threat": gettext_lazy("Threat"),
    "insult": gettext_lazy("Insult"),
    "identity_attack": gettext_lazy("Identity attack"),
    "spam": gettext_lazy("Spam"),
}
# Reasons that are not classifier attributes, as a moderator reads them.
_SOURCE_LABELS = {
    "premoderation": gettext_lazy("pre-moderation"),
    "reports": gettext_lazy("readers’ reports"),
    "moderator": gettext_lazy("moderator"),
    "banned_word": gettext_lazy("banned word"),
    "suspect_word": gettext_lazy("suspect word"),
    "links": gettext_lazy("links"),
    "claim": gettext_lazy("debunked claim"),
    "scorer_unavailable": gettext_lazy("scorer unavailable"),
}


def guideline_choices(site: Site) -> list[tuple[str, str]]:
    """``(key, title)`` for the site's guidelines, plus the house rule ``spam``."""
    titles = {g["key"]: g["title"] for g in DEFAULT_GUIDELINES}
    titles.update({g.get("key", ""): g.get("title", "") for g in site.guidelines or []})
    keys = [g["key"] for g in DEFAULT_GUIDELINES] + ["spam"]
    titles.setdefault("spam", gettext("No spam"))
    return [(k, titles.get(k) or k) for k in keys]


def thresholds(site: Site) -> tuple[dict[str, float], dict[str, float]]:
    """The site's effective hold and reject thresholds (its overrides over the defaults)."""
    hold = {**DEFAULT_HOLD, **(site.hold_thresholds or {})}
    reject = {**DEFAULT_REJECT, **(site.reject_thresholds or {})}
    return hold, reject


_STATUS_LABELS = dict(Status.choices)


def attribute_label(attribute: str) -> str:
    return _ATTRIBUTE_LABELS.get(attribute) or _SOURCE_LABELS.get(attribute) or attribute


def card(item: dict[str, Any], site: Site, now: datetime | None = None) -> dict[str, Any]:
    """Decorate one ``list_queue`` item for the template; costs no query."""
    now = now or timezone.now()
    titles = dict(guideline_choices(site))
    hold, reject = thresholds(site)
    scores = item.get("scores") or {}
    bars = [
        {
            "attribute": a,
            "label": _ATTRIBUTE_LABELS[a],
            "score": float(scores[a]),
            "percent": round(float(scores[a]) * 100),
            "hold": hold.get(a, 1.0),
            "reject": reject.get(a, 1.0),
        }
        for a in ATTRIBUTES
        if isinstance(scores.get(a), (int, float))
    ]
    reasons = [
        {
            **r,
            "title": titles.get(r.get("guideline", ""), r.get("guideline", "")),
            "source": attribute_label(r.get("attribute", "")),
        }
        for r in item.get("reasons") or []
        if isinstance(r, dict)
    ]
    author = item.get("author")
    if author:
        joined = datetime.fromisoformat(author["joined"])
        author = {**author, "age_days": max(0, (now - joined).days)}
    # The guideline a rejection defaults to: the first reason's, skipping pre-moderation,
    # which says why a comment waits, not what is wrong with it.
    created = datetime.fromisoformat(item["created_at"])
    named = [r for r in reasons if r.get("guideline") in titles]
    judged = [r for r in named if r.get("attribute") != "premoderation"]
    first = (judged or named or [{"guideline": ""}])[0]["guideline"]
    return {
        **item,
        "body_marked": highlight(item.get("body") or "", reason_spans(item.get("reasons") or [])),
        "bars": bars,
        "reasons": reasons,
        "first_guideline": first,
        "author": author,
        "open_reports": sum(1 for r in item.get("reports") or [] if r.get("outcome") == "open"),
        "reports": [
            {**r, "reason_label": _(_REASON_LABELS.get(r["reason"], r["reason"]))}
            for r in item.get("reports") or []
        ],
        "created": created,
        "ago": ago(created, now),
        "status_label": _STATUS_LABELS.get(item.get("status", ""), item.get("status", "")),
    }


def ago(when: datetime, now: datetime) -> str:
    """ "just now", "5 minutes ago", "3 hours ago": the largest unit only."""
    if (now - when).total_seconds() < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(when, now, depth=1)}


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    failed: dict[int, str]


def bulk_moderate(
    site: Site, moderator: User, ids: list[int], action: str, guideline: str | None = None
) -> BulkResult:
    """Approve or reject several comments of ``site``, each in its own transaction.

    A comment that cannot take the decision (another site's, deleted, unknown) is
    reported in ``failed`` and the others still go through.

    Raises:
        ApiError: 422 for an action other than approve/reject.
    """
    if action not in ("approve", "reject"):
        raise ApiError(422, "invalid_action", gettext("Bulk actions are approve and reject."))
    done: list[int] = []
    failed: dict[int, str] = {}
    own = set(site.comments.filter(pk__in=ids).values_list("pk", flat=True))
    for comment_id in dict.fromkeys(ids):
        if comment_id not in own:
            failed[comment_id] = gettext("No such comment on this site.")
            continue
        try:
            moderate_comment(comment_id, moderator, action, guideline=guideline or None)
        except ApiError as exc:
            failed[comment_id] = exc.message
        else:
            done.append(comment_id)
    return BulkResult(done, failed)


def suspension_until(days: str | int | None, now: datetime | None = None) -> datetime:
    """The end of a suspension of 1, 7 or 30 days.

    Raises:
        ApiError: 422 any other length.
    """
    try:
        n = int(days or 1)
    except (TypeError, ValueError):
        n = 0
    if n not in SUSPENSIONS:
        raise ApiError(422, "invalid_until", gettext("Suspend for 1, 7 or 30 days."))
    return (now or timezone.now()) + timedelta(days=n)


def list_moderators(site: Site) -> list[Membership]:
    return list(
        Membership.objects.filter(site=site, role=Role.MODERATOR)
        .select_related("user")
        .order_by("display_name")
    )


def _free_display_name(site: Site, base: str) -> str:
    try:
        name = clean_display_name(base)
    except ApiError:
        name = "Newsroom desk"
    from townhall.accounts.models import display_name_key

    taken = set(
        Membership.objects.filter(
            site=site, display_name_key__startswith=display_name_key(name)
        ).values_list("display_name_key", flat=True)
    )
    candidate, n = name, 1
    while display_name_key(candidate) in taken:
        n += 1
        candidate = f"{name[:36]} {n}"
    return candidate


def add_moderator(site: Site, actor: User, email: str) -> Membership:
    """Make the account with ``email`` a moderator of ``site`` (joining it if needed).

    Raises:
        ApiError: 404 no account with that email, 409 already a moderator.
    """
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise ApiError(
            404, "user_not_found", gettext("No account with that email; ask them to sign up.")
        )
    with transaction.atomic():
        membership = Membership.objects.filter(site=site, user=user).first()
        if membership is not None and membership.role == Role.MODERATOR:
            raise ApiError(
                409,
                "already_moderator",
                gettext("%(email)s already moderates this site.") % {"email": user.email},
            )
        if membership is None:
            try:
                membership = Membership.objects.create(
                    site=site,
                    user=user,
                    display_name=_free_display_name(site, (user.email or "").split("@")[0]),
                    role=Role.MODERATOR,
                )
            except IntegrityError:
                raise ApiError(409, "conflict", gettext("Try again.")) from None
        else:
            membership.role = Role.MODERATOR
            membership.save(update_fields=["role"])
        audit.record(
            site, "site.moderator_added", actor_kind=ActorKind.MODERATOR, actor=actor, subject=user
        )
    return membership


def remove_moderator(site: Site, actor: User, user_id: int) -> Membership:
    """Make a moderator of ``site`` a commenter again.

    Raises:
        ApiError: 404 not a moderator here, 409 removing oneself (ask another moderator).
    """
    membership = (
        Membership.objects.select_related("user")
        .filter(site=site, user_id=user_id, role=Role.MODERATOR)
        .first()
    )
    if membership is None:
        raise ApiError(404, "user_not_found", gettext("Not a moderator of this site."))
    if membership.user_id == actor.pk:
        raise ApiError(
            409, "remove_self", gettext("You cannot remove yourself; ask another moderator.")
        )
    with transaction.atomic():
        membership.role = Role.COMMENTER
        membership.save(update_fields=["role"])
        audit.record(
            site,
            "site.moderator_removed",
            actor_kind=ActorKind.MODERATOR,
            actor=actor,
            subject=membership.user,
        )
    return membership
