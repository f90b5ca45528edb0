"""The cache backends themselves, against a real Redis and a real directory."""

from __future__ import annotations

import time

from townhall.lib import cache as resilient
from townhall.lib.cache import ResilientFileBasedCache, ResilientRedisCache


def _wait_until(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_redis_away_is_a_miss_then_its_stale_entries_are_dropped(redis_server):
    cache = ResilientRedisCache(redis_server.url, {"KEY_PREFIX": "faults"})
    cache.set("story-version", 1)
    cache.set("thread", "as it was")
    assert cache.get("thread") == "as it was"

    redis_server.pause()
    started = time.monotonic()
    assert cache.get("thread", "miss") == "miss"  # waits out one socket timeout
    assert time.monotonic() - started < resilient.SOCKET_TIMEOUT + 1
    started = time.monotonic()
    cache.set("story-version", 2)  # an invalidation that cannot reach Redis
    assert cache.add("posted-twice", 1) is True  # fails open: not a duplicate
    assert cache.incr("posts-this-minute") == 1  # fails open: the first one
    assert cache.get_many(["thread"]) == {}
    assert time.monotonic() - started < 0.1, "calls during an outage must not wait"

    redis_server.resume()

    # The probe finds Redis back and drops what may have missed an invalidation.
    def back_and_forgotten() -> bool:
        cache.set("probe", 1)
        return cache.get("probe") == 1 and cache.get("story-version") is None

    assert _wait_until(back_and_forgotten), "Redis is back but still holds the old version"
    assert cache.get("thread") is None
    cache.set("thread", "fresh")
    assert cache.get("thread") == "fresh"


def test_no_read_after_an_outage_is_served_an_entry_it_is_about_to_drop(redis_server):
    cache = ResilientRedisCache(redis_server.url, {"KEY_PREFIX": "faults3"})
    # Enough entries that dropping them takes the probe a while: a read let through
    # before the drop is over meets some of them.
    threads = {f"thread-{n}": "as it was" for n in range(20_000)}
    cache.set_many(threads)
    redis_server.pause()
    assert cache.get("thread-0", "miss") == "miss"
    cache.set("thread-0", "edited")  # an invalidation that cannot reach Redis
    redis_server.resume()

    deadline = time.monotonic() + 15
    while cache.get("in-use") is None:  # a miss until Redis is read again
        cache.set("in-use", 1)
        assert time.monotonic() < deadline, "Redis is back but never used again"
        time.sleep(0.001)
    sample = list(threads)[::200]
    assert cache.get_many(sample) == {}, "read an entry from before the outage"


def test_redis_stopped_answers_at_once(redis_server):
    cache = ResilientRedisCache(redis_server.url, {"KEY_PREFIX": "faults2"})
    cache.set("k", "v")
    redis_server.stop()
    started = time.monotonic()
    assert [cache.get("k", "miss") for _ in range(50)] == ["miss"] * 50
    assert time.monotonic() - started < 1.5
    redis_server.start()
    assert _wait_until(lambda: (cache.set("k", "w"), cache.get("k"))[1] == "w")


def test_an_unwritable_file_cache_is_a_miss_not_an_error(tmp_path):
    folder = tmp_path / "cache"
    cache = ResilientFileBasedCache(str(folder), {})
    cache.set("story-version", 1)
    # A file where the cache directory should be: every write fails, as on a full disk.
    cache.clear()
    folder.rmdir()
    folder.write_text("not a directory")
    cache.set("story-version", 2)
    assert cache.get("story-version", "miss") == "miss"
    assert cache.add("posted-twice", 1) is True
