"""Redis frozen or gone: townhall serves from the database, slower, with no 5xx,
and never serves a thread from before the outage once Redis is back."""

from __future__ import annotations

import time

import httpx

from tests.faults.app import PASSWORD, SITE, Install, Outcome, post_comment

STORY = {"site": SITE, "story": "s1"}


def _visit(server, token: str, outcome: Outcome, label: str) -> tuple[float, float]:
    """What one reader and one commenter do; the slowest post's and other request's seconds."""
    slowest = [0.0, 0.0]
    with httpx.Client(timeout=30) as anon, httpx.Client(timeout=30) as me:
        calls = [
            lambda: post_comment(me, server.api, token, f"Posted while Redis is {label}."),
            lambda: anon.get(server.api + "/comments", params=STORY),
            lambda: me.get(
                server.api + "/comments", params=STORY, headers={"Authorization": f"Bearer {token}"}
            ),
            lambda: anon.get(server.api + "/counts", params={"site": SITE, "story": ["s1"]}),
            lambda: me.get(server.api + "/auth/csrf"),
            lambda: me.post(
                server.api + "/auth/login",
                json={"email": "reader0@paper.example", "password": PASSWORD},
                headers={"X-CSRFToken": me.cookies.get("csrftoken", "")},
            ),
        ]
        for n, call in enumerate(calls):
            started = time.monotonic()
            response = call()
            kind = 0 if n == 0 else 1
            slowest[kind] = max(slowest[kind], time.monotonic() - started)
            outcome.record(response, f"Posted while Redis is {label}." if n == 0 else None)
            assert response.status_code in (200, 201), (label, n, response.text[:300])
    return slowest[0], slowest[1]


def _count_seen_by_readers(server, times: int = 8) -> set[int]:
    """The comment counts anonymous readers get (from the cache when it has them)."""
    with httpx.Client(timeout=30) as anon:
        return {
            anon.get(server.api + "/comments", params=STORY).json()["story"]["comment_count"]
            for _ in range(times)
        }


def _wait_until_every_worker_is_back(server, timeout: float = 30) -> None:
    """Until each worker that lost Redis has found it again and dropped what it held.

    Each worker logs the outage once when it notices and once when its probe (every
    second) finds Redis back; a fixed sleep was a thin margin on a loaded machine.
    """
    deadline = time.monotonic() + timeout
    while True:
        log = server.log.read_text()
        lost, back = log.count("Redis is unreachable"), log.count("Redis answers again")
        if lost and back == lost:
            return
        assert time.monotonic() < deadline, f"{back} of {lost} workers found Redis again"
        time.sleep(0.1)


def test_townhall_keeps_serving_while_redis_is_frozen_or_gone(redis_server, sqlite_url, tmp_path):
    install = Install(tmp_path, sqlite_url, REDIS_URL=redis_server.url)
    [token] = install.prepare(people=1)
    server = install.serve(workers=2)
    outcome = Outcome()
    try:
        healthy = _visit(server, token, outcome, "healthy")
        assert _count_seen_by_readers(server) == {1}  # now cached in Redis

        # Frozen: connections hang rather than fail, as in a network partition.
        redis_server.pause()
        frozen = [_visit(server, token, outcome, f"frozen {i}") for i in range(3)]
        redis_server.resume()
        _wait_until_every_worker_is_back(server)
        # Redis still holds the thread as it was before the freeze; nobody may see it.
        assert _count_seen_by_readers(server) == {len(outcome.acknowledged)} == {4}

        # Gone: connections are refused.
        redis_server.stop()
        gone = [_visit(server, token, outcome, f"gone {i}") for i in range(3)]
        redis_server.start()
        _wait_until_every_worker_is_back(server)
        back = [_visit(server, token, outcome, "back")]
        assert _count_seen_by_readers(server) == {len(outcome.acknowledged)} == {8}
    finally:
        server.stop()
    assert not outcome.failures
    log = server.log.read_text()
    assert "Redis is unreachable" in log and "Redis answers again" in log
    stored = install.stored_comments()
    assert all(stored.get(i) == body for i, body in outcome.acknowledged.items())
    # Slower at worst by a socket timeout or two, never a hang.
    budget = max(healthy) + 5
    assert max(other for _, other in frozen + gone + back) < budget, (healthy, frozen, gone, back)
    assert max(post for post, _ in gone + back) < budget, (healthy, gone, back)
    # The live-update publish has its own short socket timeout (townhall.live.events),
    # so a frozen Redis costs a post half a second there, not a hang.
    slow_posts = [post for post, _ in frozen if post >= budget]
    assert not slow_posts, (healthy, frozen)
