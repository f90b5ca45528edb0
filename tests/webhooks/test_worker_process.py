"""Production mode for real: `townhall serve` queues on Redis, `townhall worker` delivers.

Everything runs in subprocesses on a fresh SQLite file, so this works in every
suite run; it needs a Redis server (REDIS_URL, or the Makefile's test Redis).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import httpx
import pytest
import redis

from tests.conftest import CLASSIFIER_OFF_SCRIPT, IN_CI
from tests.test_server import TOWNHALL, free_port, run

from .conftest import wait_for

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_env(tmp_path):
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError:
        if IN_CI:
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    # Messages left by an earlier run name rows of another database: drop them.
    for key in client.scan_iter("dramatiq:*"):
        client.delete(key)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TOWNHALL_DATA_DIR": str(tmp_path),
        "REDIS_URL": REDIS_URL,
        "TOWNHALL_BACKGROUND": "redis",
        # A fresh database reuses ids: keep its cache apart from earlier runs' keys.
        "TOWNHALL_CACHE_PREFIX": f"worker-test-{uuid.uuid4().hex}",
        "TOWNHALL_WEBHOOK_ALLOW_PRIVATE": "true",
        "TOWNHALL_WEBHOOK_BACKOFF_SECONDS": "1",
    }
    env.pop("TOWNHALL_CACHE", None)
    return env


SETUP = """
from io import StringIO
from django.core.management import call_command
call_command("createsite", "paper", "--name", "Paper", "--origin", "https://p.example")
for name, role in (("Ed", "moderator"), ("Rita", "commenter")):
    out = StringIO()
    call_command("createuser", name, "--email", name + "@p.example", "--role", role,
                 "--site", "paper", "--token", stdout=out)
    print(name, out.getvalue().split()[-1])
"""


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_the_worker_process_delivers_what_the_server_queued(redis_env, receiver):
    receiver.statuses = [500, 200]
    assert run(redis_env, "migrate", "-v0").returncode == 0
    # One interpreter for the whole set-up: each command start costs seconds.
    made = run(redis_env, "shell", "-c", SETUP + CLASSIFIER_OFF_SCRIPT)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.split()
    tokens = {
        name: {"Authorization": f"Bearer {lines[lines.index(name) + 1]}"} for name in ("Ed", "Rita")
    }

    port = free_port()
    server = subprocess.Popen(
        [TOWNHALL, "serve", "--port", str(port), "--workers", "1"],
        env=redis_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        wait_for(lambda: _healthy(base), timeout=60)
        hook = httpx.post(
            f"{base}/sites/paper/webhooks",
            headers=tokens["Ed"],
            json={"url": receiver.url, "events": ["comment.created"]},
        )
        assert hook.status_code == 201, hook.text
        posted = httpx.post(
            f"{base}/comments",
            headers=tokens["Rita"],
            json={"site": "paper", "story": "s1", "body": "Queued while no worker runs."},
        )
        assert posted.status_code == 201

        time.sleep(1.0)
        assert receiver.requests == [], "nothing is delivered without a worker"

        worker = subprocess.Popen(
            [TOWNHALL, "worker", "--processes", "1", "--threads", "2"],
            env=redis_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: len(receiver.requests) == 2, timeout=90)
        assert receiver.requests[1].json["data"]["comment"]["id"] == posted.json()["id"]

        def succeeded():
            log = httpx.get(
                f"{base}/sites/paper/webhooks/{hook.json()['id']}/deliveries",
                headers=tokens["Ed"],
            ).json()["deliveries"]
            return log if log and log[0]["state"] == "succeeded" else None

        [delivery] = wait_for(succeeded, timeout=20)
        assert [a["status_code"] for a in delivery["attempts"]] == [200, 500]
    finally:
        _stop(server)
        if worker is not None:
            _stop(worker)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_worker_command_refuses_inprocess_mode(redis_env):
    env = {**redis_env, "TOWNHALL_BACKGROUND": "inprocess"}
    out = run(env, "worker")
    assert out.returncode != 0
    assert "TOWNHALL_BACKGROUND" in out.stderr
