"""Dramatiq actors of the webhooks app (found by ``townhall worker`` as ``*.tasks``)."""

from __future__ import annotations

import dramatiq

QUEUE = "townhall"


@dramatiq.actor(queue_name=QUEUE, max_retries=5, min_backoff=1000)
def dispatch(event_ids: list[int]) -> None:
    """Turn events into webhook deliveries and notifications (idempotent)."""
    from townhall.webhooks import dispatch as dispatching

    dispatching.dispatch_events(event_ids)


# Retries are scheduled by ``deliver_once`` itself, so each one is logged with its time.
@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=120_000)
def deliver(delivery_id: int) -> None:
    from townhall.webhooks import delivery

    delivery.deliver_once(delivery_id)


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def sweep() -> None:
    """Queue again the work of messages lost with a previous process (see dispatch.sweep)."""
    from townhall.webhooks import dispatch as dispatching

    dispatching.sweep()
