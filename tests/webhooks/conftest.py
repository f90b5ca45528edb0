"""Background work for real: Dramatiq's worker (in-process, or on Redis with a worker
thread here), and a real HTTP server that plays a newsroom's webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dramatiq
import pytest
from django.conf import settings as django_settings

from townhall.lib import background


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout}s")
        time.sleep(0.05)


_redis_worker: dramatiq.Worker | None = None


def settle() -> None:
    """Wait until every queued task, retries included, has run."""
    if django_settings.TOWNHALL_BACKGROUND == "redis":
        broker = dramatiq.get_broker()
        for queue in sorted(broker.get_declared_queues()):
            if not queue.endswith(".DQ"):
                broker.join(queue, timeout=30_000)
        if _redis_worker is not None:
            _redis_worker.join()
    else:
        background.wait_idle(timeout_ms=30_000)


@pytest.fixture
def worker(settings) -> Iterator[None]:
    """Run background tasks during the test on real Dramatiq workers, with quick retries.

    In-process: this process's worker threads, restarted with one thread, because
    SQLite's in-memory test database takes one writer at a time and never waits.
    On Redis: a Dramatiq worker consuming the Redis queue from threads of this process.
    Tests call ``settle()`` before reading what the workers wrote.
    """
    global _redis_worker
    settings.TOWNHALL_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    settings.TOWNHALL_WEBHOOK_BACKOFF_MS = 100
    if django_settings.TOWNHALL_BACKGROUND != "redis":
        background.stop_inprocess_worker()
        dramatiq.get_broker().flush_all()  # what earlier tests queued names rows now gone
        background.start_inprocess_worker(threads=1)
        settle()
        yield
        settle()
        background.stop_inprocess_worker()
        return
    broker = dramatiq.get_broker()
    broker.flush_all()
    _redis_worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    _redis_worker.start()
    try:
        yield
        settle()
    finally:
        background.stop_worker(_redis_worker, timeout_ms=5000)
        _redis_worker = None


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next of ``statuses`` (the last one repeats)."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(Received(dict(self.headers.items()), body))
            if state.delay:
                time.sleep(state.delay)
            n = len(state.requests) - 1
            status = state.statuses[min(n, len(state.statuses) - 1)]
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/townhall"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
