"""Translating a site's stored settings into the engine's Policy and Context."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from townhall.accounts.models import Membership
from townhall.comments.models import Status
from townhall.moderation import Context, LinksPolicy, Policy
from townhall.moderation.scorers import HttpScorer
from townhall.moderation.types import DEFAULT_HOLD, DEFAULT_REJECT
from townhall.review.models import DebunkedClaim
from townhall.sites.models import Site


def policy_for(site: Site, claims: list[DebunkedClaim] | None = None) -> Policy:
    """The engine policy of ``site``: its thresholds, word lists, links, claims and scorer.

    ``claims`` are the site's active debunked claims, read here when not given.
    """
    if claims is None:
        claims = list(DebunkedClaim.objects.filter(site=site, active=True))
    scorers: tuple[HttpScorer, ...] = ()
    if site.scorer_url:
        scorers = (
            HttpScorer(
                url=site.scorer_url,
                secret=site.scorer_secret.encode(),
                name="external",
                timeout=site.scorer_timeout,
                failure_policy=site.scorer_failure,  # type: ignore[arg-type]
            ),
        )
    return Policy(
        hold={**DEFAULT_HOLD, **(site.hold_thresholds or {})},
        reject={**DEFAULT_REJECT, **(site.reject_thresholds or {})},
        banned_words=tuple(site.banned_words or ()),
        suspect_words=tuple(site.suspect_words or ()),
        links=LinksPolicy(hold_any=False, max_links=site.max_links),
        premoderation=site.premoderation,  # type: ignore[arg-type]
        debunked_claims=tuple(c.claim for c in claims),
        extra_scorers=scorers,
    )


# An author's record (published / rejected counts on one site) is asked for on
# every post; counting their whole history each time grows with it. The cache
# keeps the counts up to a watermark (the highest comment id counted), and each
# post counts only the author's comments above it: a handful of index entries.
# Comments above the watermark are counted afresh every time, so a new comment
# needs no cache write; a status change of an older one drops the entry
# (``record_status_change``), and the next post recounts from the database.
RECORD_TTL = 3600
RECORD_REFRESH = 20  # re-store the record once this many comments sit above it


def _record_key(membership_id: int) -> str:
    return f"th:rec:{membership_id}"


def author_record(membership: Membership) -> tuple[int, int]:
    """(published, rejected) comments of ``membership``, exact as of the latest commit."""
    key = _record_key(membership.pk)
    stored = cache.get(key)
    if stored is None:
        fresh = membership.comments.aggregate(
            approved=Count("pk", filter=Q(status=Status.PUBLISHED)),
            rejected=Count("pk", filter=Q(status=Status.REJECTED)),
            last=Max("pk"),
        )
        approved, rejected = fresh["approved"], fresh["rejected"]
        cache.set(key, (approved, rejected, fresh["last"] or 0), RECORD_TTL)
        return approved, rejected
    approved, rejected, watermark = stored
    # A handful of rows (the record is stored again every RECORD_REFRESH): reading
    # them costs less than building the aggregate query for them.
    rows = list(membership.comments.filter(pk__gt=watermark).values_list("pk", "status"))
    approved += sum(1 for _, status in rows if status == Status.PUBLISHED)
    rejected += sum(1 for _, status in rows if status == Status.REJECTED)
    if len(rows) >= RECORD_REFRESH:
        cache.set(key, (approved, rejected, max(pk for pk, _ in rows)), RECORD_TTL)
    return approved, rejected


def record_status_change(membership_id: int | None, old: str | None, new: str) -> None:
    """Forget the cached record of an author whose comment changes status."""
    if membership_id is None or old == new:
        return
    key = _record_key(membership_id)
    # Now, and again once committed: a post between the two may have stored the
    # record as it was before this change.
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def context_for(membership: Membership | None) -> Context:
    """What the engine should know about an author: their record on this site and age."""
    if membership is None:
        return Context(is_new=True)
    approved, rejected = author_record(membership)
    age = (timezone.now() - membership.user.date_joined).total_seconds() / 86400
    return Context(
        approved_count=approved,
        rejected_count=rejected,
        account_age_days=age,
    )
