"""The in-process background threads can be stopped and started again without
losing work: tests do it around every test, and a server does it on reload."""

from __future__ import annotations

import threading
import time

import dramatiq
import pytest
from django.conf import settings

from townhall.lib import background

pytestmark = pytest.mark.skipif(
    settings.TOWNHALL_BACKGROUND != "inprocess", reason="about the in-process threads"
)


def test_work_sent_after_restarts_runs_even_on_a_queue_declared_later(transactional_db):
    for _ in range(3):
        background.start_inprocess_worker(threads=1)
        background.stop_inprocess_worker()
    background.start_inprocess_worker(threads=1)
    ran: list[int] = []
    lock = threading.Lock()

    # A queue first declared now: a stopped worker left on the broker would be
    # given a consumer for it, and take messages that nothing ever runs.
    @dramatiq.actor(queue_name="restart-check", max_retries=0)
    def note(n: int) -> None:
        with lock:
            ran.append(n)

    try:
        for n in range(20):
            background.send(note, n)
        background.wait_idle(timeout_ms=10_000)
        assert sorted(ran) == list(range(20))
    finally:
        background.stop_inprocess_worker()


def test_a_restart_with_delayed_work_in_hand_does_not_block_waiting(transactional_db):
    background.start_inprocess_worker(threads=1)
    ran: list[str] = []

    @dramatiq.actor(queue_name="restart-delayed", max_retries=0)
    def later(tag: str) -> None:
        ran.append(tag)

    try:
        # The worker fetches these and holds them until their time, which never comes.
        for _ in range(3):
            background.send(later, "held", delay_ms=600_000)
        time.sleep(1.5)
        background.stop_inprocess_worker()
        background.start_inprocess_worker(threads=1)
        background.send(later, "now")
        background.wait_idle(timeout_ms=10_000)
        assert ran == ["now"]
    finally:
        background.stop_inprocess_worker()
