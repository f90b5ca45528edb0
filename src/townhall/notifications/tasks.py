"""Dramatiq actors of the notifications app."""

from __future__ import annotations

import dramatiq

from townhall.webhooks.tasks import QUEUE


# A mail server that is down is retried with Dramatiq's own back-off.
@dramatiq.actor(queue_name=QUEUE, max_retries=8, min_backoff=15_000, max_backoff=3_600_000)
def send_notice(notice_id: int) -> None:
    from townhall.notifications import mailing

    mailing.send(notice_id)
