"""kill -9 of the server in the middle of a storm of posts loses no acknowledged comment."""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx
import pytest

from tests.faults.app import SITE, Install, Outcome, post_comment, posters


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_kill_9_mid_post_loses_no_acknowledged_comment(database, tmp_path, request):
    url = request.getfixturevalue(f"{database}_url")
    install = Install(tmp_path, url)
    tokens = install.prepare(people=3)
    server = install.serve(workers=2)
    outcome, stop = Outcome(), threading.Event()
    threads = posters(server.api, tokens, stop, outcome, threads=12)
    try:
        deadline = time.monotonic() + 60
        while len(outcome.acknowledged) < 15 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill9()  # while a dozen posts are in flight
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        server.stop()
    acknowledged = dict(outcome.acknowledged)
    assert len(acknowledged) >= 15, f"only {len(acknowledged)} posts before the deadline"
    assert not outcome.failures, outcome.failures[:3]

    if database == "sqlite":
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    server = install.serve(workers=2)
    try:
        stored = install.stored_comments()
        lost = {i: body for i, body in acknowledged.items() if stored.get(i) != body}
        assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged comments are gone"
        # Each story's count moved in the same transaction as its comments.
        counted = sum(
            httpx.get(server.api + "/comments", params={"site": SITE, "story": f"s{n}"}).json()[
                "story"
            ]["comment_count"]
            for n in range(3)
        )
        assert counted == len(stored)
        with httpx.Client(timeout=30) as client:
            again = post_comment(client, server.api, tokens[0], "Back after the crash.")
        assert again.status_code == 201
    finally:
        server.stop()
