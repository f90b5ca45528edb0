"""The shared cache as the accelerator it is meant to be: when it fails, townhall goes on
without it.

Django's ``RedisCache`` raises on every connection error, which would turn a Redis
outage into a 500 on every request. ``ResilientRedisCache`` answers a failed
operation as a miss (reads) or a no-op (writes) instead, so requests fall through
to the database, slower but correct. Counters fail open: an ``add`` that cannot
reach Redis reports success and an ``incr`` counts from nothing, so rate limits
and duplicate checks let requests through while Redis is away (docs/security.md
lists what that costs).

After the first failure the process stops calling Redis: one thread probes it
every ``PROBE_INTERVAL`` seconds, and until it answers every cache call is a miss
at no cost, so an outage costs one short timeout, not one per cache call. A write
that failed may have been an invalidation, so when Redis answers again a process
that lost writes drops every entry under townhall's key prefix: otherwise a
Redis that was only unreachable (not restarted) would go on serving threads from
before the outage.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import itertools
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger("townhall.cache")

PROBE_INTERVAL = 1.0
CONNECT_TIMEOUT = 0.5
# A cached thread of thousands of comments still arrives in milliseconds on a
# healthy link; a second means the server or the network is stuck.
SOCKET_TIMEOUT = 1.0

T = TypeVar("T")


class _Health:
    """Whether Redis is believed down, shared by every thread of the process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.outage_started: float | None = None
        self.lost_writes = False
        # Redis answers again and stale entries are being dropped: writes reach it,
        # reads still miss.
        self.draining = False


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def _health_of(location: str) -> _Health:
    with _health_lock:
        return _health.setdefault(location, _Health())


class _SharedClient(RedisCacheClient):
    """Django's Redis client, keeping one redis-py client per connection pool.

    Django builds a new redis-py client for every operation, and building one
    costs more than a round trip to a local Redis.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


# Django makes a cache object per thread and, under ASGI, per request, each with
# its own connection pools: without sharing, every request would open a new
# connection to Redis. One client, and so one pool, per server per process.
_shared_clients: dict[str, _SharedClient] = {}
_shared_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    """``RedisCache`` whose failures are misses and no-ops, logged, never raised."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        # One immediate retry covers a pooled connection that Redis closed (a restart);
        # a timeout is not retried, or each would double the wait during an outage.
        options.setdefault("retry", Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        super().__init__(server, {**params, "OPTIONS": options})
        self._health = _health_of(server)
        self._location = server

    @property
    def _cache(self) -> _SharedClient:  # type: ignore[override]
        client = _shared_clients.get(self._location)
        if client is None:
            with _shared_lock:
                client = _shared_clients.get(self._location)
                if client is None:
                    client = _SharedClient(self._servers, **self._options)
                    _shared_clients[self._location] = client
        return client

    # -- the guard around every operation

    def _guard(self, write: bool, fallback: T, name: str, *args: Any) -> T:
        """RedisCache's ``name``; ``fallback`` on a Redis error or during an outage."""
        health = self._health
        if health.outage_started is not None:
            if not write:
                return fallback
            # Under the lock, so that the probe sees every write skipped before it
            # starts to drop entries, and none is skipped after.
            with health.lock:
                if health.outage_started is not None and not health.draining:
                    health.lost_writes = True
                    return fallback
        try:
            return getattr(super(), name)(*args)
        except RedisError as exc:
            self._failed(exc, write)
            return fallback

    def _failed(self, exc: RedisError, write: bool) -> None:
        health = self._health
        with health.lock:
            health.lost_writes = health.lost_writes or write
            if health.outage_started is not None:
                return
            health.outage_started = time.monotonic()
        log.warning(
            "Redis is unreachable (%s: %s); serving from the database without the cache, "
            "and without rate limits, until it answers again",
            type(exc).__name__,
            exc,
        )
        threading.Thread(target=self._probe, name="townhall-redis-probe", daemon=True).start()

    def _probe(self) -> None:
        """Wait for Redis to answer, drop what may be stale, then let requests read it again.

        Reads go on missing until the drop is over: otherwise a reader could be served
        an entry that missed an invalidation in the moment before it is dropped.
        """
        health = self._health
        client = self._cache.get_client(write=True)
        while True:
            time.sleep(PROBE_INTERVAL)
            try:
                client.ping()
            except RedisError:
                continue
            with health.lock:
                lost, health.lost_writes = health.lost_writes, False
                health.draining = True
            try:
                dropped = self._drop_all(client) if lost else 0
            except RedisError:
                with health.lock:
                    health.lost_writes = True
                    health.draining = False
                continue
            with health.lock:
                if health.lost_writes:  # a write failed while dropping: drop again
                    health.draining = False
                    continue
                started = health.outage_started or time.monotonic()
                health.outage_started = None
                health.draining = False
            log.warning(
                "Redis answers again after %.1f s; dropped %d cached entries that may have "
                "missed an invalidation",
                time.monotonic() - started,
                dropped,
            )
            return

    def _drop_all(self, client: Any) -> int:
        dropped = 0
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
            batch.append(key)
            if len(batch) == 500:
                dropped += client.delete(*batch)
                batch.clear()
        if batch:
            dropped += client.delete(*batch)
        return dropped

    # -- Django's cache API: reads miss, writes are dropped, counters fail open

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard(False, default, "get", key, default, version)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._guard(False, {}, "get_many", keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guard(False, False, "has_key", key, version)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        # True: the caller goes on as if it were the first (a duplicate check lets it by).
        return self._guard(True, True, "add", key, value, timeout, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._guard(True, None, "set", key, value, timeout, version)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._guard(True, [], "set_many", data, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guard(True, False, "touch", key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guard(True, False, "delete", key, version)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._guard(True, None, "delete_many", keys, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # ``delta``: the event counts as the first of its window (a rate limit lets it by).
        return self._guard(True, delta, "incr", key, delta, version)

    def clear(self) -> None:
        self._guard(True, None, "clear")


def _load_renameat2() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):  # not Linux, or a C library without it
        return None
    path, fd = ctypes.c_char_p, ctypes.c_int
    function.argtypes = [fd, path, fd, path, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_renameat2 = _load_renameat2()
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _move_into_place(source: str, target: str) -> None:
    """Atomically make ``source`` the file at ``target``, replacing what is there.

    A plain rename over an existing file makes ext4 (the usual Linux filesystem)
    write the new file's data out first, about a millisecond each time, and every
    post writes the cache several times. Swapping the two names instead, then
    removing the old entry, is just as atomic for readers and costs a tenth of it.
    """
    if _renameat2 is not None:
        done = _renameat2(
            _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE
        )
        if done == 0:
            os.remove(source)  # the entry it replaced
            return
        if ctypes.get_errno() not in (errno.ENOENT, errno.EINVAL, errno.ENOSYS, errno.EPERM):
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), target)
        # No entry yet (a plain rename replaces nothing), or no swapping here.
    os.replace(source, target)


CULL_EVERY = 64
_writes = itertools.count()


class QuickFileBasedCache(FileBasedCache):
    """Django's file cache with cheaper writes (on the posting path several a request).

    Django lists the whole cache directory on every write to see whether it is
    full; here it counts the names in it once every ``CULL_EVERY`` writes of the
    process, so the directory can exceed ``MAX_ENTRIES`` by that many entries per
    process before a cull. Entries are put in place by :func:`_move_into_place`.
    """

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._createdir()  # the directory may have been removed meanwhile
        target = self._key_to_file(key, version)
        self._cull()
        fd, tmp = tempfile.mkstemp(dir=self._dir)
        try:
            with open(fd, "wb") as out:
                self._write_content(out, timeout, value)
            _move_into_place(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
            raise

    def _cull(self) -> None:
        if next(_writes) % CULL_EVERY:
            return
        # Counting names is cheap; Django's cull matches each against a pattern first.
        try:
            entries = len(os.listdir(self._dir))
        except OSError:
            return
        if entries >= self._max_entries:
            super()._cull()

    # Shared by the instances of a process: Django makes one per thread and per
    # async context, so a per-instance memory would rarely be asked twice.
    _paths: dict[tuple[Any, ...], str] = {}

    def _key_to_file(self, key: Any, version: int | None = None) -> str:
        # Hashing and checking a key costs more than reading a small entry, and a
        # cached thread read asks for the same few keys thousands of times a second.
        memo = (self._dir, self.key_prefix, self.version, key, version)
        path = self._paths.get(memo)
        if path is None:
            path = super()._key_to_file(key, version)
            if len(self._paths) >= 50_000:
                self._paths.clear()
            self._paths[memo] = path
        return path


class ResilientFileBasedCache(QuickFileBasedCache):
    """The file cache, where a full or read-only disk is a miss, not a 500.

    Without Redis the shared cache is files beside the database, so the disk that
    stops the database from writing stops the cache too. Reads must still work, from
    the database, and writes get the database's own clear answer.
    """

    _warned_at = 0.0

    def _guard(self, fallback: T, name: str, *args: Any) -> T:
        try:
            return getattr(super(), name)(*args)
        except OSError as exc:
            now = time.monotonic()
            if now - ResilientFileBasedCache._warned_at > 60:
                ResilientFileBasedCache._warned_at = now
                log.warning("the file cache cannot be used (%s); serving without it", exc)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard(default, "get", key, default, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guard(False, "has_key", key, version)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._guard(True, "add", key, value, timeout, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        # FileBasedCache.set returns None; False is this guard's word for "it failed".
        if self._guard(False, "set", key, value, timeout, version) is False:
            # The old value must not outlive a failed write (it may be a story's version,
            # and the write its invalidation); removing a file works even on a full disk.
            self._guard(False, "delete", key, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guard(False, "touch", key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guard(False, "delete", key, version)

    def clear(self) -> None:
        self._guard(None, "clear")
