"""Background work through Dramatiq: never on the request path.

``TOWNHALL_BACKGROUND=inprocess`` (the default) queues messages in memory and
runs them on worker threads started in this process on first use, so
``make run`` needs nothing else. ``TOWNHALL_BACKGROUND=redis`` queues them in
Redis for ``townhall worker`` processes. Either way a message is sent only once
the transaction that caused it has committed, and what must not be lost (an
event, a mail to send) is a database row first: the message only says which
row to work on, so a lost message is made good by a sweep: when in-process
threads start, when ``townhall worker`` starts, and by ``townhall worker --sweep-only``.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

import dramatiq
from django.conf import settings
from django.db import connection, transaction
from dramatiq.brokers.stub import StubBroker

log = logging.getLogger(__name__)

_worker: dramatiq.Worker | None = None
_lock = threading.Lock()


def start_inprocess_worker(threads: int | None = None) -> None:
    """Start this process's worker threads (if not running) and sweep up lost work."""
    global _worker
    if _worker is not None:
        return
    with _lock:
        if _worker is not None:
            return
        worker = dramatiq.Worker(
            dramatiq.get_broker(),
            worker_threads=threads or settings.TOWNHALL_BACKGROUND_THREADS,
            worker_timeout=100,
        )
        worker.start()
        _worker = worker
    # Whatever a previous process left queued in its memory is lost: find it again.
    from townhall.webhooks import tasks

    tasks.sweep.send()


def stop_inprocess_worker() -> None:
    """Stop this process's worker threads after their current task (tests, shutdown)."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None:
        stop_worker(worker, timeout_ms=10_000)


def stop_worker(worker: dramatiq.Worker, timeout_ms: int) -> None:
    """Stop ``worker`` and take it off its broker, so that it can be started afresh.

    Dramatiq's ``Worker.stop`` leaves the middleware the worker added to the broker
    in place. When a queue is first declared later (a delay queue, say), that
    middleware gives the stopped worker a consumer, which takes messages that no
    thread will ever run.
    """
    worker.stop(timeout=timeout_ms)
    broker = worker.broker
    broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) != worker]
    if isinstance(broker, StubBroker):
        # The in-memory broker cannot take back what the stopped worker had fetched
        # (a delayed retry waiting for its time, say): those messages are gone, and
        # the sweep finds their rows again. Stop counting them, or every later join
        # of their queue would wait for them for ever.
        for q in broker.queues.values():
            with q.all_tasks_done:
                q.unfinished_tasks = len(q.queue)  # qsize() would take the held lock
                if not q.unfinished_tasks:
                    q.all_tasks_done.notify_all()


atexit.register(stop_inprocess_worker)


def _memory_database() -> bool:
    # SQLite in memory (only ever the test database) fails a second writer at once
    # instead of waiting, so threads are not started for it on their own: the work
    # waits in the queue until a test calls start_inprocess_worker().
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def send(actor: dramatiq.Actor, *args: Any, delay_ms: int | None = None) -> None:
    """Queue ``actor(*args)`` now, after ``delay_ms`` if given.

    A broker that cannot be reached is logged, not raised: the caller's change
    is already committed, and the sweep sends the work again later.
    """
    if settings.TOWNHALL_BACKGROUND == "inprocess" and not _memory_database():
        start_inprocess_worker()
    try:
        actor.send_with_options(args=args, delay=delay_ms)
    except Exception:  # noqa: BLE001 - redis errors of every kind; the row stays for the sweep
        log.exception("could not queue %s%r; the sweep will retry it", actor.actor_name, args)


def send_on_commit(actor: dramatiq.Actor, *args: Any) -> None:
    """Queue ``actor(*args)`` once the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: send(actor, *args))


def wait_idle(timeout_ms: int = 10_000) -> None:
    """Block until the in-process queues are empty, delayed messages included (tests, demo)."""
    if settings.TOWNHALL_BACKGROUND == "inprocess" and _worker is None:
        return  # no threads here: nothing would ever empty the queue
    broker = dramatiq.get_broker()
    for queue in sorted(broker.get_declared_queues()):
        if not queue.endswith(".DQ"):  # join() waits on a queue's delay queue itself
            broker.join(queue, timeout=timeout_ms)
    if _worker is not None:
        _worker.join()
