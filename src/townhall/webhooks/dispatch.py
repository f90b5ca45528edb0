"""Fan an event out: one delivery per endpoint that wants it, and the event_dispatched signal."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from townhall.lib import background
from townhall.sites.models import Story
from townhall.webhooks.events import event_dispatched, story_data
from townhall.webhooks.models import Delivery, Endpoint, Event


def _story_data(story_id: int) -> dict[str, object] | None:
    story = Story.objects.filter(pk=story_id).only("key", "title", "url").first()
    return None if story is None else story_data(story)


def dispatch_events(event_ids: list[int]) -> int:
    """Dispatch the events not yet dispatched; return how many this call dispatched.

    Claiming an event (setting ``dispatched_at``) and creating its deliveries
    happen in one transaction, so a duplicate message or a crash never sends an
    event twice or drops it. The events of one message (a post makes two) share
    that transaction, and their reads of stories and endpoints: on SQLite every
    transaction queues for the one write lock that posting waits on too.
    """
    from townhall.webhooks import tasks

    events = list(
        Event.objects.filter(pk__in=event_ids, dispatched_at__isnull=True)
        .select_related("site")
        .order_by("pk")
    )
    stories: dict[int, dict[str, object] | None] = {}
    endpoints: dict[int, list[Endpoint]] = {}
    # Reads first: on SQLite the transaction below holds the one write lock.
    for event in events:
        comment = event.payload.get("comment")
        if comment and "story" not in comment:
            story_id = comment["story_id"]
            if story_id not in stories:
                stories[story_id] = _story_data(story_id)
            comment["story"] = stories[story_id]
        if event.site_id not in endpoints:
            endpoints[event.site_id] = list(Endpoint.objects.filter(site_id=event.site_id))
    done = 0
    if not events:
        return done
    with transaction.atomic():
        for event in events:
            claimed = Event.objects.filter(pk=event.pk, dispatched_at__isnull=True).update(
                dispatched_at=timezone.now(), payload=event.payload
            )
            if not claimed:
                continue
            now = timezone.now()
            wanted = [e for e in endpoints[event.site_id] if e.wants(event.name)]
            deliveries = Delivery.objects.bulk_create(
                [Delivery(endpoint=e, event=event, next_attempt_at=now) for e in wanted]
            )
            for d in deliveries:
                background.send_on_commit(tasks.deliver, d.pk)
            event_dispatched.send(sender=Event, event=event)
            done += 1
    return done


def sweep(older_than_seconds: int = 60) -> tuple[int, int, int]:
    """Queue again what a lost message left behind; return (events, deliveries, mails).

    Undispatched events, pending deliveries whose retry time has passed and unsent
    mails, all older than ``older_than_seconds``, go to the queue again. Each task
    claims its row before working, so a message that was not lost after all does
    no harm.
    """
    from townhall.notifications import tasks as notice_tasks
    from townhall.notifications.models import Notice
    from townhall.webhooks import tasks

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    event_ids = list(
        Event.objects.filter(dispatched_at__isnull=True, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    due = list(
        Delivery.objects.filter(state="pending", next_attempt_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    notices = list(
        Notice.objects.filter(sent_at=None, error="", created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    # Queue only after every read: a worker may start on the first message at once,
    # and on SQLite its write would lock the tables still to be read here.
    if event_ids:
        background.send(tasks.dispatch, event_ids)
    for pk in due:
        background.send(tasks.deliver, pk)
    for pk in notices:
        background.send(notice_tasks.send_notice, pk)
    return len(event_ids), len(due), len(notices)
