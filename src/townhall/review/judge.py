"""Where the posting path asks the moderation engine for a judgement.

Refusals (closed story, standing, limits) are answered before this; this only
decides published / pending / rejected and why, and never refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from townhall.accounts import trust
from townhall.accounts.models import Membership
from townhall.comments import cache as shared
from townhall.moderation import get_engine
from townhall.moderation.claims import claim_matcher
from townhall.review.models import DebunkedClaim
from townhall.review.policy import context_for, policy_for
from townhall.sites.models import Site

CLAIMS_TTL = 3600


def active_claims(site: Site) -> list[DebunkedClaim]:
    """The site's active debunked claims, which every post is matched against.

    Kept in the shared cache under a version that any change to a claim moves
    (see townhall.review.signals), so a post costs no query for them.
    """
    key = f"th:claims:{site.pk}:{shared.claims_version(site.pk)}"
    claims = cache.get(key)
    if claims is None:
        claims = list(DebunkedClaim.objects.filter(site=site, active=True).order_by("pk"))
        cache.set(key, claims, timeout=CLAIMS_TTL)
    return claims


@dataclass(frozen=True)
class Judgement:
    status: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


def judge(site: Site, body: str, membership: Membership | None) -> Judgement:
    """Judge a new or edited comment body under ``site``'s policy.

    A comment held only because it repeats a debunked claim is published with the
    newsroom's correction attached when the site's ``claims_action`` is ``annotate``.
    """
    claims = active_claims(site)
    policy = policy_for(site, claims)
    verdict = get_engine().judge(body, policy, context_for(membership))
    reasons = [r.to_dict() for r in verdict.reasons]
    status = verdict.decision
    claim_reasons = [r for r in reasons if r["attribute"] == "claim"]
    if claim_reasons:
        _attach_claim(body, claims, claim_reasons[0])
        if (
            site.claims_action == "annotate"
            and status == "pending"
            and len(claim_reasons) == len(reasons)
        ):
            status = "published"
    held = trust.link_hold(membership, body)
    if held is not None:
        reasons.append(held)
        status = "rejected" if status == "rejected" else "pending"
    return Judgement(status=status, reasons=reasons, scores=dict(verdict.scores))


def _attach_claim(body: str, claims: list[DebunkedClaim], reason: dict[str, Any]) -> None:
    """Name the claim a ``truthful`` reason matched, with its correction and fact-check."""
    match = claim_matcher(tuple(c.claim for c in claims)).best(body)
    row = next((c for c in claims if match is not None and c.claim == match.claim), None)
    if row is not None:
        reason.update(claim_id=row.pk, claim=row.claim, correction=row.correction, link=row.link)
