"""The moderators' digest: how many comments wait in each queue of their site."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from townhall.accounts.models import Membership, MemberStatus, Role
from townhall.notifications import mailing
from townhall.notifications.models import Kind
from townhall.review.services import queue_counts
from townhall.sites.models import Site

LABELS = (
    ("pending", gettext_lazy("Pending")),
    ("reported", gettext_lazy("Reported")),
    ("rejected", gettext_lazy("Rejected")),
)


def queue_digests(sites: list[Site], *, always: bool = False) -> int:
    """Write today's digest for every moderator of ``sites``; return how many were written.

    A site with nothing pending or reported sends none unless ``always``; a moderator
    gets at most one digest per site and day, however often this runs.
    """
    written = 0
    today = timezone.now().date().isoformat()
    for site in sites:
        counts = queue_counts(site)
        if not always and not (counts.get("pending") or counts.get("reported")):
            continue
        context = {
            "site": site,
            "counts": counts,
            "rows": [(label, counts.get(key, 0)) for key, label in LABELS],
            "queue_url": f"{settings.PUBLIC_URL}/dashboard/{site.slug}/queue/pending/",
        }
        moderators = Membership.objects.filter(
            site=site, role=Role.MODERATOR, status=MemberStatus.ACTIVE
        ).select_related("user")
        with transaction.atomic():
            for m in moderators:
                key = f"digest:{site.pk}:{today}"
                written += mailing.queue(m.user, Kind.DIGEST, key, "digest", context)
    return written
