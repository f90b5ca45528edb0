"""Several app servers behind one load balancer share PostgreSQL and Redis, and
nothing a reader notices depends on which server answers.

Three ``townhall serve`` processes, each with its own data directory (so nothing is
shared through local files), run against one PostgreSQL database and one Redis.
The read-replica router is checked in a process of its own, with a replica alias
that points at the same database, by recording which alias each query went to.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.processes import wait_healthy
from tests.conftest import CLASSIFIER_OFF_SCRIPT, IN_CI

ROOT = Path(__file__).resolve().parent.parent
TOWNHALL = str(Path(sys.executable).with_name("townhall"))
SECRET = "scale-out-secret-key-shared-by-every-app-server"
POST_RATE = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unavailable(what: str, exc: Exception) -> None:
    if IN_CI:
        pytest.fail(f"{what} is not reachable and CI=true forbids skipping: {exc}")
    pytest.skip(f"{what} is not reachable: {exc}")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([TOWNHALL, *args], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.strip().splitlines()[-1]


class Cluster:
    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.tmp = tmp
        self.servers: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}

    def start(self, name: str) -> None:
        data_dir = self.tmp / name
        data_dir.mkdir()
        port = _free_port()
        self.servers[name] = subprocess.Popen(
            [TOWNHALL, "serve", "--port", str(port), "--workers", "1"],
            env={**self.env, "TOWNHALL_DATA_DIR": str(data_dir)},
            stdout=(data_dir / "log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed whole, and alone
        )
        self.urls[name] = f"http://127.0.0.1:{port}"

    def wait_ready(self) -> None:
        # Three servers start Django at once: on a busy machine that takes a while.
        for name, url in self.urls.items():
            wait_healthy(url + "/api/v1/health", self.servers[name], self.tmp / name / "log", 90)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        server = self.servers.pop(name)
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            pass
        server.wait(timeout=20)
        del self.urls[name]

    def stop_all(self) -> None:
        for name in list(self.servers):
            self.kill(name, signal.SIGTERM)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three app servers on one fresh PostgreSQL database and one Redis."""
    import psycopg
    import redis

    pg_url = os.environ.get("TOWNHALL_TEST_POSTGRES", "postgres://127.0.0.1:5432/test")
    redis_url = os.environ.get("TOWNHALL_TEST_REDIS", "redis://127.0.0.1:6379/13")
    try:
        admin = psycopg.connect(pg_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL at {pg_url}", exc)
    try:
        store = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
        store.ping()
    except redis.RedisError as exc:
        admin.close()
        _unavailable(f"Redis at {redis_url}", exc)
    name = f"townhall_scaleout_{os.getpid()}"
    prefix = f"scaleout{os.getpid()}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    tmp = tmp_path_factory.mktemp("scaleout")
    env = {
        **os.environ,
        "DATABASE_URL": pg_url.rsplit("/", 1)[0] + "/" + name,
        "REDIS_URL": redis_url,
        "TOWNHALL_CACHE_PREFIX": prefix,
        "TOWNHALL_SECRET_KEY": SECRET,
        "TOWNHALL_DATA_DIR": str(tmp / "admin"),
        "TOWNHALL_DB_POOL_SIZE": "3",
        "TOWNHALL_POST_RATE_PER_MINUTE": str(POST_RATE),
        "TOWNHALL_NEW_ACCOUNT_POST_RATE_PER_MINUTE": str(POST_RATE),
        "TOWNHALL_DUPLICATE_WINDOW_SECONDS": "600",
    }
    env.pop("TOWNHALL_CACHE", None)
    env.pop("TOWNHALL_REPLICA_URLS", None)
    servers = Cluster(env, tmp)
    try:
        _run(env, "migrate", "-v0")
        _run(env, "createsite", "paper", "--name", "Paper", "--origin", "https://paper.example")
        people = {}
        for who in ("Ed", "Rita", "Sam", "Kim"):
            made = _run(
                env,
                "createuser",
                who,
                "--email",
                f"{who.lower()}@paper.example",
                "--password",
                "a long enough passphrase",
                "--site",
                "paper",
                "--token",
            )
            people[who] = _last_line(made)
        _run(env, "shell", "-c", CLASSIFIER_OFF_SCRIPT)
        for server in ("a", "b", "c"):
            servers.start(server)
        servers.wait_ready()
        yield {"servers": servers, "tokens": people}
    finally:
        servers.stop_all()
        for key in store.scan_iter(match=f"{prefix}:*", count=1000):
            store.delete(key)
        store.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _thread(base: str, **headers: str) -> httpx.Response:
    return httpx.get(
        base + "/api/v1/comments", params={"site": "paper", "story": "budget"}, headers=headers
    )


def _fast_hits(base: str) -> float:
    for row in httpx.get(base + "/metrics").text.splitlines():
        if row.startswith("townhall_thread_cache_total") and 'result="fast_hit"' in row:
            return float(row.rsplit(" ", 1)[1])
    return 0.0


def test_a_comment_written_through_one_server_is_read_through_the_others(cluster):
    a, b, c = (cluster["servers"].urls[n] for n in "abc")
    bearer = {"Authorization": f"Bearer {cluster['tokens']['Ed']}"}
    first = httpx.post(
        a + "/api/v1/comments",
        headers=bearer,
        json={"site": "paper", "story": "budget", "body": "The first word on the budget."},
    )
    assert first.status_code == 201, first.text
    # Each reader server caches the one-comment thread: the second read of each is
    # answered from the shared cache by the ASGI fast path.
    etags = {}
    for base in (b, c):
        for _ in range(2):
            seen = _thread(base)
            assert seen.json()["story"]["comment_count"] == 1
        etags[base] = seen.headers["ETag"]
        assert _thread(base, **{"If-None-Match": etags[base]}).status_code == 304
    assert _fast_hits(b) >= 1 and _fast_hits(c) >= 1

    second = httpx.post(
        a + "/api/v1/comments",
        headers=bearer,
        json={"site": "paper", "story": "budget", "body": "And a second thought on it."},
    )
    assert second.status_code == 201, second.text
    for base in (b, c):
        # The old ETag no longer matches anywhere: the reader gets the new thread.
        fresh = _thread(base, **{"If-None-Match": etags[base]})
        assert fresh.status_code == 200
        assert fresh.json()["story"]["comment_count"] == 2
        assert fresh.headers["ETag"] != etags[base]
        assert [x["id"] for x in _thread(base).json()["comments"]] == [
            second.json()["id"],
            first.json()["id"],
        ]


def test_a_session_started_on_one_server_works_on_the_others(cluster):
    a, b, c = (cluster["servers"].urls[n] for n in "abc")
    with httpx.Client() as browser:
        csrf = browser.get(a + "/api/v1/auth/csrf").json()["csrf_token"]
        login = browser.post(
            a + "/api/v1/auth/login",
            headers={"X-CSRFToken": csrf},
            json={"email": "sam@paper.example", "password": "a long enough passphrase"},
        )
        assert login.status_code == 200, login.text
        me = browser.get(b + "/api/v1/auth/me", params={"site": "paper"}).json()
        assert me["authenticated"] is True
        assert me["user"]["display_name"] == "Sam"
        posted = browser.post(
            c + "/api/v1/comments",
            headers={"X-CSRFToken": browser.cookies["csrftoken"]},
            json={
                "site": "paper",
                "story": "session",
                "body": "Signed in elsewhere, posting here.",
            },
        )
        assert posted.status_code == 201, posted.text
        logout = browser.post(
            b + "/api/v1/auth/logout", headers={"X-CSRFToken": browser.cookies["csrftoken"]}
        )
        assert logout.status_code == 200
        # Signed out on one server is signed out on all.
        assert browser.get(a + "/api/v1/auth/me").json()["authenticated"] is False


def test_the_posting_allowance_is_spent_across_servers(cluster):
    urls = cluster["servers"].urls
    bearer = {"Authorization": f"Bearer {cluster['tokens']['Rita']}"}
    order = ["a", "b", "c", "a", "b", "c"]
    statuses = []
    for i, name in enumerate(order):
        answer = httpx.post(
            urls[name] + "/api/v1/comments",
            headers=bearer,
            json={"site": "paper", "story": "limits", "body": f"Thought number {i} on limits."},
        )
        statuses.append(answer.status_code)
    # One process alone would have let all six through (each saw at most two).
    assert statuses[:POST_RATE] == [201] * POST_RATE
    assert set(statuses[POST_RATE:]) == {429}
    # A duplicate is caught by another server than the one that took the original.
    bearer_ed = {"Authorization": f"Bearer {cluster['tokens']['Ed']}"}
    body = {"site": "paper", "story": "dup", "body": "Said once, said twice."}
    assert (
        httpx.post(urls["a"] + "/api/v1/comments", headers=bearer_ed, json=body).status_code == 201
    )
    assert (
        httpx.post(urls["c"] + "/api/v1/comments", headers=bearer_ed, json=body).status_code == 409
    )


def test_the_others_keep_serving_when_one_server_is_killed(cluster):
    servers = cluster["servers"]
    servers.kill("c")  # SIGKILL, mid-life: no clean shutdown, its connections dropped
    bearer = {"Authorization": f"Bearer {cluster['tokens']['Kim']}"}
    statuses = []
    for i in range(6):
        base = servers.urls["a" if i % 2 else "b"]
        statuses.append(_thread(base).status_code)
        statuses.append(
            httpx.post(
                base + "/api/v1/comments",
                headers=bearer,
                json={"site": "paper", "story": "after", "body": f"Still here, note {i}."},
            ).status_code
        )
        statuses.append(httpx.get(base + "/api/v1/health").status_code)
    assert all(s in (200, 201, 429) for s in statuses), statuses  # nothing failed
    assert statuses.count(201) == POST_RATE  # and the shared limits still hold
    after = httpx.get(
        servers.urls["a"] + "/api/v1/comments", params={"site": "paper", "story": "after"}
    )
    assert after.json()["story"]["comment_count"] == POST_RATE


# ------------------------------------------------------------------ read replicas

PROBE = r"""
import json, os
import django
django.setup()
from django.db.backends.signals import connection_created
from django.test import Client

import threading
seen = {}
here = threading.get_ident()  # the requests' thread; background jobs have their own
def record(execute, sql, params, many, context):
    if threading.get_ident() == here:
        seen.setdefault(context["connection"].alias, []).append(sql.split()[0].upper())
    return execute(sql, params, many, context)
def watch(sender, connection, **kwargs):
    if record not in connection.execute_wrappers:
        connection.execute_wrappers.append(record)
connection_created.connect(watch)

def step(name, response):
    out = {"status": response.status_code, "queries": dict(seen), "cookie": None}
    if "townhall_primary" in response.cookies:
        out["cookie"] = response.cookies["townhall_primary"]["max-age"]
    seen.clear()
    return name, out

token = os.environ["PROBE_TOKEN"]
steps = []
reader = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
thread = {"site": "paper", "story": "routing"}
reader.get("/api/v1/comments", thread)  # a token's first use is recorded: a write
reader.cookies.pop("townhall_primary")
seen.clear()
steps.append(step("read", reader.get("/api/v1/comments", thread)))
steps.append(step("post", reader.post("/api/v1/comments", {**thread, "body": "Routed well."},
                                      content_type="application/json")))
steps.append(step("read_pinned", reader.get("/api/v1/comments", thread)))
reader.cookies.pop("townhall_primary")
steps.append(step("read_later", reader.get("/api/v1/comments", thread)))
print(json.dumps(dict(steps)))
"""


def _probe(env: dict[str, str]) -> dict[str, Any]:
    _run(env, "migrate", "-v0")
    _run(env, "createsite", "paper", "--name", "Paper")
    token = _last_line(
        _run(env, "createuser", "Ed", "--email", "ed@paper.example", "--site", "paper", "--token")
    )
    _run(env, "shell", "-c", CLASSIFIER_OFF_SCRIPT)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, "PROBE_TOKEN": token, "DJANGO_SETTINGS_MODULE": "townhall.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", "postgres"])
def replica_env(request, tmp_path) -> Iterator[dict[str, str]]:
    """A primary and one "replica" alias that is the same database under another name."""
    env = {
        **os.environ,
        "TOWNHALL_DATA_DIR": str(tmp_path),
        "TOWNHALL_ALLOWED_HOSTS": "testserver",
        "TOWNHALL_CACHE": "memory",
        "TOWNHALL_REPLICA_STICKY_SECONDS": "7",
    }
    env.pop("REDIS_URL", None)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        yield {**env, "DATABASE_URL": url, "TOWNHALL_REPLICA_URLS": url}
        return
    import psycopg

    pg_url = os.environ.get("TOWNHALL_TEST_POSTGRES", "postgres://127.0.0.1:5432/test")
    try:
        admin = psycopg.connect(pg_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL at {pg_url}", exc)
    name = f"townhall_replica_{os.getpid()}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield {**env, "DATABASE_URL": url, "TOWNHALL_REPLICA_URLS": url}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_reads_go_to_the_replica_and_a_writer_reads_the_primary(replica_env):
    steps = _probe(replica_env)
    read = steps["read"]
    assert read["status"] == 200
    # A signed-in read is built from the database, all of it from the replica.
    assert read["queries"].get("replica1") and "default" not in read["queries"]
    post = steps["post"]
    assert post["status"] == 201
    # Every write of the post went to the primary; none to the replica.
    writes = {"INSERT", "UPDATE", "DELETE"}
    assert writes & set(post["queries"]["default"])
    assert not writes & set(post["queries"].get("replica1", []))
    assert post["cookie"] == 7
    # Right after, the writer reads the primary, and sees the comment just posted.
    pinned = steps["read_pinned"]
    assert pinned["status"] == 200
    assert pinned["queries"].get("default") and "replica1" not in pinned["queries"]
    # Once the sticky window is over (the cookie gone), reads spread again.
    later = steps["read_later"]
    assert later["queries"].get("replica1") and "default" not in later["queries"]
