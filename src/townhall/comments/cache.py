"""The shared cache of public thread payloads.

Anonymous readers — nearly all of them — share one cached payload per story and
query, keyed by a per-story version that every write moves forward. A read of an
unchanged story touches the cache only, never the database. With ``REDIS_URL``
the cache, and so the invalidation, is shared by every process.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from django.core.cache import cache
from django.db import transaction

from townhall.sites.models import Site, Story

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")
PAYLOAD_TTL = 3600
VERSION_TTL = 7 * 86400
STORY_ID_TTL = 3600


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _story_id_key(site_id: int, story_key: str) -> str:
    return f"th:sid:{site_id}:{_digest(story_key)}"


def _version(key: str) -> int:
    value = cache.get(key)
    if value is None:
        # A lost version (eviction, Redis restart) becomes a new one, never an old one.
        cache.add(key, time.time_ns(), timeout=VERSION_TTL)
        value = cache.get(key)
    # A cache that cannot keep a version (Redis down) gets a new one on every read,
    # so no client is told "304, unchanged" about a thread nobody can vouch for.
    return int(value) if value is not None else time.time_ns()


def story_version(story_id: int) -> int:
    return _version(f"th:v:{story_id}")


def site_version(site_id: int) -> int:
    return _version(f"th:sv:{site_id}")


class _BumpAfterCommit:
    """An on-commit callback that knows its key, so one transaction queues it once."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self) -> None:
        cache.set(self.key, time.time_ns(), timeout=VERSION_TTL)


def _bump(key: str) -> None:
    # Now, so this process stops serving the old payload at once; and again after
    # commit, because a reader between the two may have cached uncommitted state's
    # predecessor under the first new version. A post saves its comment more than
    # once in one transaction, but one bump after commit covers them all: each
    # cache write costs a round trip (or a file) on the posting path.
    cache.set(key, time.time_ns(), timeout=VERSION_TTL)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return  # autocommit: the change is already committed
    queued = (entry[1] for entry in connection.run_on_commit)
    if not any(isinstance(f, _BumpAfterCommit) and f.key == key for f in queued):
        transaction.on_commit(_BumpAfterCommit(key))


def invalidate_story(story_id: int) -> None:
    """Every cached payload of this story goes stale once the transaction commits."""
    _bump(f"th:v:{story_id}")


def invalidate_site(site: Site) -> None:
    """Settings changed: every story of the site goes stale, and the cached site too."""
    _bump(f"th:sv:{site.pk}")
    _drop(f"th:site:{site.slug}")


def claims_version(site_id: int) -> int:
    return _version(f"th:cv:{site_id}")


def invalidate_claims(site_id: int) -> None:
    """The site's list of debunked claims changed: posts read it afresh after the commit."""
    _bump(f"th:cv:{site_id}")


def invalidate_counts(site_id: int) -> None:
    """A story's published count changed: every cached counts answer of the site is stale."""
    _bump(f"th:nv:{site_id}")


def _counts_key(site_id: int, version: int, keys: tuple[str, ...]) -> str:
    return "th:n:" + _digest(repr((site_id, version, keys)))


def counts_key(site: Site, keys: list[str]) -> str:
    """The cache key of one counts answer at the site's current counts version."""
    return _counts_key(site.pk, _version(f"th:nv:{site.pk}"), tuple(keys))


def forget_story_id(story: Story) -> None:
    _drop(_story_id_key(story.site_id, story.key))


def _drop(key: str) -> None:
    _local.forget()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def cached_site(slug: str) -> Site | None:
    if not _SLUG.fullmatch(slug):
        return None  # no site has such a slug; and it is no cache key
    key = f"th:site:{slug}"
    site = cache.get(key)
    if site is None:
        site = Site.objects.filter(slug=slug).first()
        if site is not None:
            cache.set(key, site, timeout=PAYLOAD_TTL)
    return site


def story_id(site: Site, story_key: str) -> int | None:
    """The story's id, or None if it does not exist yet (remembered until it does)."""
    key = _story_id_key(site.pk, story_key)
    found = cache.get(key)
    if found is None:
        found = (
            Story.objects.filter(site=site, key=story_key).values_list("pk", flat=True).first() or 0
        )
        cache.set(key, found, timeout=STORY_ID_TTL)
    return found or None


def _payload_key(site_id: int, site_v: int, sid: int, story_v: int, params: tuple[Any, ...]) -> str:
    return "th:p:" + _digest(repr((site_id, site_v, sid, story_v, params)))


def payload_key(site: Site, sid: int, params: tuple[Any, ...]) -> str:
    """The cache key (and ETag) of one public payload at the current versions."""
    return _payload_key(site.pk, site_version(site.pk), sid, story_version(sid), params)


def get(key: str) -> bytes | None:
    """The JSON body stored under ``key``, exactly as it is sent."""
    return cache.get(key)


def put(key: str, body: bytes) -> None:
    cache.set(key, body, timeout=PAYLOAD_TTL)


def cached_site_only(slug: str) -> Site | None:
    """The site if it is in the cache; never asks the database (for the fast path)."""
    return cache.get(f"th:site:{slug}") if _SLUG.fullmatch(slug) else None


def story_id_only(site: Site, story_key: str) -> int | None:
    """The story's id if the cache knows it; never asks the database."""
    return cache.get(_story_id_key(site.pk, story_key)) or None


class _Local:
    """What one process may remember between fast-path reads without asking the cache.

    A payload's bytes never change under their key (the key holds the versions),
    so they are kept until memory runs short. Which ids a site slug and a story key
    name changes only when one is deleted and made again; that is remembered for
    as long as a CDN may keep the page anyway. The versions themselves are read
    from the shared cache on every request: another process may have just written.
    """

    IDS_SECONDS = 5.0
    MAX_IDS = 20_000
    MAX_BYTES = 32 * 1024 * 1024

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[tuple[str, str], tuple[float, int, int]] = {}
        self.sites: dict[str, tuple[float, int, frozenset[str]]] = {}
        self.bodies: OrderedDict[str, bytes] = OrderedDict()
        self.size = 0

    def forget(self, name: tuple[str, str] | None = None) -> None:
        with self.lock:
            if name is None:
                self.ids.clear()
                self.sites.clear()
            else:
                self.ids.pop(name, None)

    def forget_site(self, slug: str) -> None:
        with self.lock:
            self.sites.pop(slug, None)

    def ids_of(self, slug: str, story_key: str) -> tuple[int, int] | None:
        now = time.monotonic()
        found = self.ids.get((slug, story_key))
        if found is not None and found[0] > now:
            return found[1], found[2]
        site = cached_site_only(slug)
        sid = story_id_only(site, story_key) if site is not None else None
        if sid is None:
            return None
        with self.lock:
            if len(self.ids) >= self.MAX_IDS:
                self.ids.clear()
            self.ids[(slug, story_key)] = (now + self.IDS_SECONDS, site.pk, sid)
        return site.pk, sid

    def site_of(self, slug: str) -> tuple[int, frozenset[str]] | None:
        now = time.monotonic()
        found = self.sites.get(slug)
        if found is not None and found[0] > now:
            return found[1], found[2]
        site = cached_site_only(slug)
        if site is None:
            return None
        origins = frozenset(site.allowed_origins or [])
        with self.lock:
            if len(self.sites) >= self.MAX_IDS:
                self.sites.clear()
            self.sites[slug] = (now + self.IDS_SECONDS, site.pk, origins)
        return site.pk, origins

    def body(self, key: str) -> bytes | None:
        with self.lock:
            body = self.bodies.get(key)
            if body is not None:
                self.bodies.move_to_end(key)
                return body
        body = cache.get(key)
        if body is None or len(body) > self.MAX_BYTES // 8:
            return body
        with self.lock:
            if key not in self.bodies:
                self.bodies[key] = body
                self.size += len(body)
                while self.size > self.MAX_BYTES:
                    _, dropped = self.bodies.popitem(last=False)
                    self.size -= len(dropped)
        return body


_local = _Local()


def fast_payload_key(slug: str, story_key: str, params: tuple[Any, ...]) -> str | None:
    """The current payload key for a read, from the cache alone, or None if it cannot tell.

    One cache call for both versions; a missing one is left to Django's path, which
    makes it.
    """
    ids = _local.ids_of(slug, story_key) if _SLUG.fullmatch(slug) else None
    if ids is None:
        return None
    site_id, sid = ids
    site_key, story_key_v = f"th:sv:{site_id}", f"th:v:{sid}"
    versions = cache.get_many([site_key, story_key_v])
    if site_key not in versions or story_key_v not in versions:
        _local.forget((slug, story_key))
        return None
    return _payload_key(site_id, int(versions[site_key]), sid, int(versions[story_key_v]), params)


def fast_get(key: str, slug: str, story_key: str) -> bytes | None:
    """The payload under ``key``, from this process's memory when it has it.

    On a miss the ids behind the key are forgotten too, in case they were what
    was out of date (a story deleted and made again).
    """
    body = _local.body(key)
    if body is None:
        _local.forget((slug, story_key))
    return body


def fast_counts_key(slug: str, keys: tuple[str, ...]) -> tuple[str, frozenset[str]] | None:
    """The current key of a counts answer and the site's allowed origins, from the cache alone."""
    site = _local.site_of(slug) if _SLUG.fullmatch(slug) else None
    if site is None:
        return None
    site_id, origins = site
    version = cache.get(f"th:nv:{site_id}")
    if version is None:
        return None
    return _counts_key(site_id, int(version), keys), origins


def fast_counts_get(key: str, slug: str) -> bytes | None:
    """A counts answer from this process's memory or the cache; a miss forgets the site."""
    body = _local.body(key)
    if body is None:
        _local.forget_site(slug)
    return body
