"""This process's open streams, and how events from every process reach them.

Each granian worker is a process with its own event loop and no shared memory, so
events travel between processes in one of two ways:

* ``REDIS_URL`` set: one pub/sub connection per process listens on one channel and
  hands each event to the streams of its discussion at once.
* no Redis: once a second, one task per process reads the event logs (in the
  shared file cache) of the discussions that have streams here. One read per
  discussion, not per stream, and a reader waits a second at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.cache import cache

from townhall.live import events

log = logging.getLogger(__name__)

# A stream that falls this far behind (a stalled client) loses events, not memory.
QUEUE_SIZE = 100


class Subscription:
    """One stream's inbox. ``None`` in it means: stop."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.queue: asyncio.Queue[events.Event | None] = asyncio.Queue(QUEUE_SIZE)

    def deliver(self, event: events.Event | None) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(event)


class Hub:
    def __init__(self) -> None:
        self.streams: dict[str, set[Subscription]] = defaultdict(set)
        self.connections = 0
        # Per discussion, the events this process has already handed out (no-Redis mode).
        self._seen: dict[str, set[int]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listening: asyncio.Event | None = None

    async def subscribe(self, topic: str) -> Subscription:
        self._ensure_running()
        if self._listening is not None and not self._listening.is_set():
            # The first stream of a process waits for the Redis subscription, so that a
            # comment posted right after the stream opens is not missed. Not forever:
            # with Redis away the stream still opens, and only heartbeats follow.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), 3)
        sub = Subscription(topic)
        if not settings.REDIS_URL and topic not in self._seen:
            # What is in the log now is history: only later entries are news.
            entries = await asyncio.to_thread(events.read_log, topic)
            self._seen.setdefault(topic, {e["seq"] for e in entries})
        self.streams[topic].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self.streams.get(sub.topic)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del self.streams[sub.topic]
            self._seen.pop(sub.topic, None)

    def dispatch(self, event: events.Event) -> None:
        for sub in list(self.streams.get(event.get("topic", ""), ())):
            sub.deliver(event)

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        self._loop = loop
        self._listening = asyncio.Event() if settings.REDIS_URL else None
        listen = self._listen_redis if settings.REDIS_URL else self._poll_cache
        self._task = loop.create_task(listen(), name="townhall-live")

    async def _listen_redis(self) -> None:
        import redis.asyncio as aioredis

        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(events.channel())
                    if self._listening is not None:
                        self._listening.set()
                    delay = 0.5
                    async for message in pubsub.listen():
                        try:
                            event = json.loads(message["data"])
                        except (TypeError, ValueError):
                            continue
                        self.dispatch(event)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis away: streams go quiet, then resume
                log.warning("live updates: Redis pub/sub lost, retrying", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
            finally:
                await client.aclose()

    async def _poll_cache(self) -> None:
        while True:
            await asyncio.sleep(settings.TOWNHALL_LIVE_POLL_MS / 1000)
            topics = list(self.streams)
            if not topics:
                continue
            try:
                logs = await asyncio.to_thread(_read_logs, topics)
            except Exception:  # noqa: BLE001 - a cache hiccup must not end the poller
                log.warning("live updates: could not read the event logs", exc_info=True)
                continue
            for topic in topics:
                entries = sorted(logs.get(topic, []), key=lambda e: e["seq"])
                seen = self._seen.get(topic)
                if seen is None:
                    continue  # unsubscribed meanwhile
                for event in entries:
                    if event["seq"] not in seen:
                        self.dispatch(event)
                # Only what is still in the log can come up again.
                self._seen[topic] = {e["seq"] for e in entries}


def _read_logs(topics: list[str]) -> dict[str, list[events.Event]]:
    found: dict[str, Any] = cache.get_many([events.log_key(t) for t in topics])
    return {t: found.get(events.log_key(t)) or [] for t in topics}


hub = Hub()
