"""New accounts are held to tighter limits until they have earned some trust.

A member is *new* on a site while their account is younger than
``TOWNHALL_NEW_ACCOUNT_HOURS`` **and** they have fewer than
``TOWNHALL_NEW_ACCOUNT_COMMENTS`` published comments there: either time or a
record of comments the site let through earns trust. Moderators are never new.
A new member posts at most ``TOWNHALL_NEW_ACCOUNT_POSTS_PER_HOUR`` comments an hour
on the site (on by default: a reader whose first comments are published is trusted
long before meeting it, while a throw-away account whose comments are held cannot
fill the queue), at ``TOWNHALL_NEW_ACCOUNT_POST_RATE_PER_MINUTE`` rather than the
site-wide rate (the same by default), and with ``TOWNHALL_NEW_ACCOUNT_HOLD_LINKS``
(off by default) a comment of theirs with a link waits for a moderator. The
engine's reputation rule already judges new authors more strictly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from townhall.accounts.models import Membership
from townhall.lib import ratelimit
from townhall.moderation.rules import find_links
from townhall.review.policy import author_record


def is_new(membership: Membership | None) -> bool:
    """True while ``membership`` is held to the new-account limits."""
    if membership is None:
        return False  # guests have limits of their own
    if membership.is_moderator or membership.user.is_admin:
        return False
    young = timezone.now() - membership.user.date_joined < timedelta(
        hours=settings.TOWNHALL_NEW_ACCOUNT_HOURS
    )
    if not young:
        return False
    needed = settings.TOWNHALL_NEW_ACCOUNT_COMMENTS
    if not needed:
        return False
    # The engine asks for the same record on this post: the cached, incremental
    # one, rather than a count of the member's whole history here.
    published, _rejected = author_record(membership)
    return published < needed


def hit_post_limits(site_id: int, who: str, membership: Membership | None) -> None:
    """Count one post by ``who`` (a member, or a guest's address) on a site.

    Raises:
        ApiError: 429 ``rate_limited`` past the per-minute rate, or
            ``new_account_limit`` past a new member's hourly allowance, both with
            ``Retry-After``.
    """
    new = is_new(membership)
    rate = settings.TOWNHALL_POST_RATE
    if new:
        rate = min(rate, settings.TOWNHALL_NEW_ACCOUNT_POST_RATE)
    ratelimit.hit(f"post:{site_id}", who, rate, 60)
    if new:
        per_hour = settings.TOWNHALL_NEW_ACCOUNT_POSTS_PER_HOUR
        ratelimit.hit(
            f"post-new:{site_id}",
            who,
            per_hour,
            3600,
            code="new_account_limit",
            reason=gettext(
                "New accounts may post %(per_hour)d comments an hour here until they are"
                " %(hours)d hours old or have %(comments)d published comments"
            )
            % {
                "per_hour": per_hour,
                "hours": settings.TOWNHALL_NEW_ACCOUNT_HOURS,
                "comments": settings.TOWNHALL_NEW_ACCOUNT_COMMENTS,
            },
        )


def link_hold(membership: Membership | None, body: str) -> dict[str, Any] | None:
    """The reason to hold ``body`` for a moderator when a new member put links in it."""
    if not settings.TOWNHALL_NEW_ACCOUNT_HOLD_LINKS:
        return None
    links = find_links(body)
    if not links or not is_new(membership):
        return None
    # The spam house rule, named for its cause, with the links as spans.
    return {
        "guideline": "spam",
        "attribute": "new_account_links",
        "score": 1.0,
        "spans": [list(s) for s in links],
    }
