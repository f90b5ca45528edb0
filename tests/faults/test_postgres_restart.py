"""PostgreSQL restarting under load: 503s while it is away, success once it is back,
and townhall itself never restarted."""

from __future__ import annotations

import threading
import time

import httpx

from tests.faults.app import SITE, Install, Outcome, post_comment

POOL_TIMEOUT = 2
OUTAGE = 8
GRACE = 2
RECOVERY = 4


def test_a_postgres_restart_is_a_clean_503_then_townhall_recovers(postgres, postgres_url, tmp_path):
    install = Install(
        tmp_path,
        postgres_url,
        TOWNHALL_DB_POOL_SIZE="3",
        TOWNHALL_DB_POOL_TIMEOUT_SECONDS=str(POOL_TIMEOUT),
    )
    tokens = install.prepare(people=2)
    server = install.serve(workers=2)
    outcome, stop = Outcome(), threading.Event()
    slowest = [0.0]

    def load(n: int) -> None:
        token = tokens[n % 2]
        with httpx.Client(timeout=60) as client:
            i = 0
            while not stop.is_set():
                i += 1
                started = time.monotonic()
                if n % 2:
                    body = f"Comment {n}-{i} while the database comes and goes."
                    response = post_comment(client, server.api, token, body)
                else:
                    # Signed in, so the token is looked up in the database on each read.
                    body = None
                    response = client.get(
                        server.api + "/comments",
                        params={"site": SITE, "story": "s1"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                slowest[0] = max(slowest[0], time.monotonic() - started)
                outcome.record(response, body)
                time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(6)]
    try:
        for t in threads:
            t.start()
        time.sleep(2)
        before = len(outcome.statuses)
        postgres.stop("fast")  # every server connection is terminated
        # Long enough that a pool backing off by doubling delays would still be
        # waiting for its next try when the database comes back.
        time.sleep(OUTAGE)
        during = outcome.statuses[before:]
        postgres.start()
        back = time.monotonic()
        # Recovery: the pool reconnects by itself.
        with httpx.Client(timeout=30) as client:
            while time.monotonic() - back < 30:
                if post_comment(client, server.api, tokens[0], f"Back {time.time()}").is_success:
                    break
                time.sleep(0.5)
        recovered_after = time.monotonic() - back
        # One worker answered; the other may still be between two tries.
        time.sleep(GRACE)
        mark = len(outcome.statuses)
        time.sleep(3)
        after = outcome.statuses[mark:]
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    try:
        assert server.proc.poll() is None, "townhall serve died"
        assert set(outcome.statuses) <= {200, 201, 503}, sorted(set(outcome.statuses))
        for failure in outcome.failures:
            assert failure.error()["code"] == "database_unavailable", failure
            assert failure.retry_after and int(failure.retry_after) > 0, failure
        assert 503 in during, f"the outage was not noticed: {sorted(set(during))}"
        # Back within seconds of the database, not after the pool's next backed-off try.
        assert recovered_after < RECOVERY, recovered_after
        assert after and set(after) <= {200, 201}, sorted(set(after))
        # Failing requests waited for the pool, not forever.
        assert slowest[0] < POOL_TIMEOUT + 10, slowest[0]
        stored = install.stored_comments()
        lost = [i for i, body in outcome.acknowledged.items() if stored.get(i) != body]
        assert not lost
    finally:
        server.stop()
