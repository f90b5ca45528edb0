"""Real granian servers for the live tests, and a small Server-Sent Events reader."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.browser.processes import TOWNHALL, free_port, start, stop, wait_healthy
from tests.conftest import CLASSIFIER_OFF_SCRIPT


def townhall(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(TOWNHALL), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# One process for the set-up (each ``townhall`` command pays Django's start-up).
_PREPARE = f"""
import io
from django.core.management import call_command
call_command("createsite", "paper", "--name", "Paper", "--origin", "https://paper.example",
             "http://paper.example")
{CLASSIFIER_OFF_SCRIPT.replace("; ", chr(10))}
for name, role in (("Rosa", "commenter"), ("Mo", "moderator")):
    out = io.StringIO()
    call_command("createuser", name, "--email", name.lower() + "@paper.example",
                 "--site", "paper", "--role", role, "--token", stdout=out)
    print("TOKEN", name, out.getvalue().strip().splitlines()[-1])
"""


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate, make the ``paper`` site, and return API tokens of a reader and a moderator."""
    townhall(env, "migrate", "-v0")
    out = townhall(env, "shell", "-c", _PREPARE)
    return {
        line.split()[1]: line.split()[2] for line in out.splitlines() if line.startswith("TOKEN ")
    }


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    log: Path


def serve(env: dict[str, str], log: Path, workers: int = 2) -> Server:
    port = free_port()
    proc = start(["serve", "--port", str(port), "--workers", str(workers)], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base + "/api/v1/health", proc, log)
    except RuntimeError:
        stop(proc)
        raise
    return Server(base, proc, log)


@dataclass
class Stream:
    """An open ``/api/v1/live`` stream read on a thread; its events land in a queue."""

    response: httpx.Response
    client: httpx.Client
    events: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    comments: int = 0  # comment lines (heartbeats) seen
    last_id: str = ""  # what a browser would send as Last-Event-ID
    ended: bool = False

    def next(self, timeout: float = 10) -> dict[str, Any]:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.response.close()
        self.client.close()


def open_stream(base: str, site: str, story: str, **headers: str) -> Stream:
    client = httpx.Client(timeout=httpx.Timeout(5, read=None))
    request = client.build_request(
        "GET", base + "/api/v1/live", params={"site": site, "story": story}, headers=headers
    )
    response = client.send(request, stream=True)
    stream = Stream(response, client)
    if response.status_code != 200:
        response.read()
        return stream
    ready = threading.Event()

    def read() -> None:
        event: dict[str, Any] = {}
        try:
            for line in response.iter_lines():
                if line.startswith("retry:"):
                    continue
                if line.startswith(":"):
                    stream.comments += 1
                elif line == "":
                    if "data" in event:
                        event["data"] = json.loads(event["data"])
                        stream.events.put(event)
                    stream.last_id = event.get("id", stream.last_id)
                    event = {}
                    ready.set()
                elif ":" in line:
                    name, _, value = line.partition(":")
                    event[name] = value.removeprefix(" ")
            stream.ended = True  # by the server
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test

    threading.Thread(target=read, daemon=True).start()
    assert ready.wait(10), "the stream sent nothing within 10 s"
    return stream


def post_comment(base: str, token: str, story: str, body: str) -> dict[str, Any]:
    r = httpx.post(
        base + "/api/v1/comments",
        headers={"Authorization": f"Bearer {token}"},
        json={"site": "paper", "story": story, "body": body},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return r.json()


def author_of(base: str, story: str, comment_id: int) -> int:
    """The reader id the public thread shows with a top-level comment."""
    r = httpx.get(base + "/api/v1/comments", params={"site": "paper", "story": story}, timeout=30)
    assert r.status_code == 200, r.text
    return next(c["author"]["id"] for c in r.json()["comments"] if c["id"] == comment_id)


def wait_for(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def base_env(tmp: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "TOWNHALL_DATA_DIR": str(tmp),
        "TOWNHALL_POST_RATE_PER_MINUTE": "1000",
        # Our readers post quickly, as tests do; new accounts are held to less.
        "TOWNHALL_NEW_ACCOUNT_HOURS": "0",
        "TOWNHALL_NEW_ACCOUNT_POST_RATE_PER_MINUTE": "1000",
    }
    for name in ("REDIS_URL", "TOWNHALL_CACHE", "TOWNHALL_SECRET_KEY", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


__all__ = ["stop"]
