"""What changed in a discussion, told to every process once the change is committed.

An event names a comment and whether readers can now see it. It carries no text:
the frame fetches the rendered thread itself, through the same checks as any read.

Every event is appended to a short per-story log in the shared cache (file cache
or Redis), so a stream can replay what it missed after a reconnect, and so
processes without Redis can poll for each other's events. With ``REDIS_URL`` it
is also published on one Redis channel, which delivers it at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from townhall.accounts.models import Membership
from townhall.comments.models import Comment, Status
from townhall.sites.models import Story

log = logging.getLogger(__name__)

LOG_LENGTH = 50
LOG_TTL = 3600

Event = dict[str, Any]


def topic(site_id: int, story_key: str) -> str:
    """One discussion, whether or not its story exists yet (the first comment makes it)."""
    digest = hashlib.blake2b(story_key.encode(), digest_size=12).hexdigest()
    return f"{site_id}:{digest}"


def log_key(name: str) -> str:
    return f"th:live:{name}"


def channel() -> str:
    # Installs sharing one Redis keep apart by their cache prefix, and so here too.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:th:live"


@lru_cache(maxsize=1)
def _redis() -> Any:
    import redis

    # Short timeouts: a publish happens after a comment is stored, and a Redis that
    # hangs must not hold the poster's request (the event is only a nudge).
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


# What a reader of the thread can see change; a save of other fields tells nobody.
SEEN_FIELDS = frozenset({"status", "body", "body_html", "featured", "author", "parent"})


def comment_saved(
    comment: Comment,
    *,
    created: bool = False,
    deleted: bool = False,
    fields: Iterable[str] | None = None,
) -> None:
    """Tell open frames about this comment after commit, if any reader would notice."""
    if fields is not None and not SEEN_FIELDS.intersection(fields):
        return
    visible = comment.status == Status.PUBLISHED and not deleted
    if created and not visible:
        return  # a held comment that nobody else has seen: nothing for them to update
    try:
        story = comment.story
    except Story.DoesNotExist:
        return  # the whole story is being deleted
    event: Event = {
        "topic": topic(story.site_id, story.key),
        "id": comment.pk,
        "parent_id": comment.parent_id,
        # The reader id a thread shows with the comment: a frame leaves out of its
        # "new comments" count those of a reader its reader has muted.
        "author": _author_user(comment),
        "visible": visible,
    }
    transaction.on_commit(lambda: emit(event))


def _author_user(comment: Comment) -> int | None:
    if comment.author_id is None:
        return None
    if Comment.author.is_cached(comment):
        return comment.author.user_id if comment.author else None
    return Membership.objects.filter(pk=comment.author_id).values_list("user_id", flat=True).first()


def emit(event: Event) -> None:
    """Log and broadcast one event now. Never raises: the comment is saved either way."""
    event = {**event, "seq": time.time_ns()}
    key = log_key(event["topic"])
    try:
        # Read, append, write: two writers at the same instant may lose one entry of
        # the log, which only costs a reconnecting frame that event's replay.
        entries = (cache.get(key) or [])[-(LOG_LENGTH - 1) :]
        entries.append(event)
        cache.set(key, entries, timeout=LOG_TTL)
    except Exception:  # noqa: BLE001 - live updates are a nicety, never a failed write
        log.warning("could not log a live event", exc_info=True)
    if settings.REDIS_URL:
        try:
            _redis().publish(channel(), json.dumps(event))
        except Exception:  # noqa: BLE001
            log.warning("could not publish a live event", exc_info=True)


def read_log(name: str) -> list[Event]:
    """The recent events of one discussion, oldest first."""
    return sorted(cache.get(log_key(name)) or [], key=lambda e: e["seq"])
