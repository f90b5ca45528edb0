"""The file cache that every process shares when there is no Redis, against a real directory."""

from __future__ import annotations

import threading

from townhall.lib import cache as file_cache
from townhall.lib.cache import ResilientFileBasedCache


def _cache(tmp_path, **options) -> ResilientFileBasedCache:
    return ResilientFileBasedCache(str(tmp_path / "cache"), {"OPTIONS": options})


def test_a_rewritten_entry_is_never_missing_for_a_reader(tmp_path):
    writer, reader = _cache(tmp_path), _cache(tmp_path)
    writer.set("story-version", 0)
    stop = threading.Event()
    seen: list[object] = []

    def read() -> None:
        while not stop.is_set():
            seen.append(reader.get("story-version", "missing"))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for version in range(1, 400):
            writer.set("story-version", version)
    finally:
        stop.set()
        thread.join()
    assert seen, "the reader never ran"
    assert "missing" not in seen
    assert reader.get("story-version") == 399
    # Nothing but the entry itself is left behind in the directory.
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_a_full_cache_is_culled(tmp_path):
    cache = _cache(tmp_path, MAX_ENTRIES=20, CULL_FREQUENCY=2)
    written = 20 + 6 * file_cache.CULL_EVERY
    for i in range(written):
        cache.set(f"entry-{i}", i)
    files = list((tmp_path / "cache").glob("*.djcache"))
    # Looked at once every CULL_EVERY writes, and halved each time it is over.
    assert len(files) < 2 * file_cache.CULL_EVERY + 20 < written
    assert cache.get(f"entry-{written - 1}") == written - 1


def test_add_and_incr_still_count(tmp_path):
    cache = _cache(tmp_path)
    assert cache.add("posts", 0) is True
    assert cache.add("posts", 0) is False
    assert cache.incr("posts") == 1
    assert cache.incr("posts") == 2
