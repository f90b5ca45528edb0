"""Keep the cached list of a site's debunked claims honest: any saved change moves it on."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from townhall.comments import cache
from townhall.review.models import DebunkedClaim


@receiver(post_save, sender=DebunkedClaim, dispatch_uid="th-claim-saved")
@receiver(post_delete, sender=DebunkedClaim, dispatch_uid="th-claim-deleted")
def claim_changed(sender: Any, instance: DebunkedClaim, **kwargs: Any) -> None:
    cache.invalidate_claims(instance.site_id)
