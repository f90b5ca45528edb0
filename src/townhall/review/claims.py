"""The newsroom's list of debunked claims (Be Truthful)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from townhall.accounts.models import User
from townhall.api.errors import ApiError
from townhall.review import audit
from townhall.review.models import ActorKind, DebunkedClaim
from townhall.review.services import require_moderator
from townhall.sites.models import Site


def list_claims(site: Site, active: bool | None = None) -> QuerySet[DebunkedClaim]:
    rows = DebunkedClaim.objects.filter(site=site).order_by("-created_at")
    return rows if active is None else rows.filter(active=active)


def add_claim(
    site: Site, actor: User | None, claim: str, correction: str = "", link: str = ""
) -> DebunkedClaim:
    """Add a claim comments will be matched against.

    Raises:
        ApiError: 401/403 not a moderator of ``site``; 422 empty claim or bad link.
    """
    require_moderator(actor, site)
    claim = " ".join((claim or "").split())
    if len(claim) < 10:
        raise ApiError(422, "invalid_claim", gettext("State the claim in at least a few words."))
    if link and not link.startswith(("https://", "http://")):
        raise ApiError(
            422, "invalid_link", gettext("The fact-check link must be an http(s) address.")
        )
    with transaction.atomic():
        row = DebunkedClaim.objects.create(
            site=site,
            claim=claim[:2000],
            correction=(correction or "").strip()[:2000],
            link=link[:200],
        )
        audit.record(
            site,
            "claim.added",
            actor_kind=ActorKind.MODERATOR,
            actor=actor,
            data={"claim_id": row.pk, "claim": row.claim},
        )
    return row


def set_active(claim_id: int, actor: User | None, active: bool) -> DebunkedClaim:
    """Switch a claim on or off; a switched-off claim no longer holds comments."""
    row = DebunkedClaim.objects.select_related("site").filter(pk=claim_id).first()
    if row is None:
        raise ApiError(404, "claim_not_found", gettext("No such claim."))
    require_moderator(actor, row.site)
    with transaction.atomic():
        row.active = active
        row.save(update_fields=["active"])
        audit.record(
            row.site,
            "claim.activated" if active else "claim.deactivated",
            actor_kind=ActorKind.MODERATOR,
            actor=actor,
            data={"claim_id": row.pk},
        )
    return row
