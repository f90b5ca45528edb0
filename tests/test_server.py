"""`townhall serve` runs the production ASGI server against a real database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.browser.processes import wait_healthy
from tests.conftest import CLASSIFIER_OFF_SCRIPT as CLASSIFIER_OFF

TOWNHALL = str(Path(sys.executable).with_name("townhall"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fresh_env(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TOWNHALL_DATA_DIR": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    env.pop("TOWNHALL_CACHE", None)  # the production default: a cache shared by files
    env.pop("TOWNHALL_SECRET_KEY", None)
    return env


def run(env, *args):
    return subprocess.run([TOWNHALL, *args], env=env, capture_output=True, text=True, timeout=120)


def test_serve_answers_over_http_with_granian(fresh_env, tmp_path):
    assert run(fresh_env, "migrate", "-v0").returncode == 0
    made = run(
        fresh_env, "createsite", "paper", "--name", "Paper", "--origin", "https://paper.example"
    )
    assert made.returncode == 0, made.stderr
    made = run(
        fresh_env, "createuser", "Ed", "--email", "ed@paper.example", "--site", "paper", "--token"
    )
    token = made.stdout.strip().splitlines()[-1]
    run(fresh_env, "shell", "-c", CLASSIFIER_OFF)
    port = free_port()
    server = subprocess.Popen(
        [TOWNHALL, "serve", "--port", str(port), "--workers", "2"],
        env=fresh_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        wait_healthy(base + "/health", server)
        story = {"site": "paper", "story": "x"}
        for _ in range(6):
            r = httpx.get(base + "/comments", params=story)
            assert r.status_code == 200 and r.json()["story"]["comment_count"] == 0
        posted = httpx.post(
            base + "/comments",
            headers={"Authorization": f"Bearer {token}"},
            json={**story, "body": "A first comment on the new story."},
        )
        assert posted.status_code == 201
        # Whichever worker answers, none serves its old cached copy: without Redis the
        # workers share a file cache and so each other's invalidations.
        for _ in range(6):
            assert httpx.get(base + "/comments", params=story).json()["story"]["comment_count"] == 1
        # Both workers' counts are pooled in one scrape. The pooled series come in the
        # order the workers' files are read, so the POST's may come first: pick the GETs'.
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        labels = ('method="GET"', 'route="/api/v1/comments"', 'status="200"')
        [line] = [
            row
            for row in metrics.splitlines()
            if row.startswith("townhall_http_requests_total{") and all(x in row for x in labels)
        ]
        assert float(line.rsplit(" ", 1)[1]) == 12
    finally:
        server.terminate()
        server.wait(timeout=10)
    # An operator reads this at every start: it warns of nothing that is fine.
    log = server.stdout.read().decode()
    assert "Started worker-2" in log and "WARNING" not in log, log
    # the generated secret key is kept private in the data directory
    key = tmp_path / "secret_key"
    assert key.exists() and (key.stat().st_mode & 0o077) == 0


def test_createuser_token_is_the_last_line_and_works(fresh_env):
    run(fresh_env, "migrate", "-v0")
    run(fresh_env, "createsite", "paper", "--name", "Paper")
    out = run(
        fresh_env,
        "createuser",
        "Editor Ed",
        "--email",
        "ed@paper.example",
        "--password",
        "a strong passphrase",
        "--role",
        "moderator",
        "--site",
        "paper",
        "--token",
    )
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("th_")
    check = run(
        fresh_env,
        "shell",
        "-c",
        "from townhall.accounts.models import ApiToken, hash_token;"
        f"print(ApiToken.objects.get(key_hash=hash_token('{token}')).user.memberships.get().role)",
    )
    assert check.stdout.strip().splitlines()[-1] == "moderator"


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("TOWNHALL_DEBUG", "yes", "TOWNHALL_DEBUG"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("REDIS_URL", "http://x", "REDIS_URL"),
        ("TOWNHALL_SECRET_KEY", "short", "TOWNHALL_SECRET_KEY"),
    ],
)
def test_a_bad_setting_is_a_clear_error(fresh_env, var, value, message):
    out = run({**fresh_env, var: value}, "check")
    assert out.returncode != 0
    assert message in out.stderr and "Traceback" not in out.stderr.splitlines()[-1]


def test_createsite_refuses_bad_input(fresh_env):
    run(fresh_env, "migrate", "-v0")
    bad = run(fresh_env, "createsite", "paper", "--name", "P", "--origin", "not-an-origin")
    assert bad.returncode != 0 and "not an origin" in bad.stderr
    assert run(fresh_env, "createsite", "paper", "--name", "P").returncode == 0
    again = run(fresh_env, "createsite", "paper", "--name", "P")
    assert again.returncode != 0 and "already exists" in again.stderr


@pytest.fixture
def fresh_postgres(fresh_env):
    """A new PostgreSQL database for a server process (whatever this run's own database)."""
    import psycopg

    url = os.environ.get("TOWNHALL_TEST_POSTGRES", "postgres://127.0.0.1:5432/test")
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {url} is not reachable and CI=true: {exc}")
        pytest.skip(f"PostgreSQL at {url} is not reachable: {exc}")
    name = f"townhall_serve_{os.getpid()}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    yield {**fresh_env, "DATABASE_URL": url.rsplit("/", 1)[0] + "/" + name}, admin, name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_a_loaded_server_on_postgres_keeps_its_connections_bounded(fresh_postgres):
    from concurrent.futures import ThreadPoolExecutor

    env, admin, name = fresh_postgres
    env = {**env, "TOWNHALL_DB_POOL_SIZE": "3", "TOWNHALL_POST_RATE_PER_MINUTE": "100000"}
    assert run(env, "migrate", "-v0").returncode == 0
    run(env, "createsite", "paper", "--name", "Paper")
    made = run(
        env, "createuser", "Poster", "--email", "p@paper.example", "--site", "paper", "--token"
    )
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(
        [TOWNHALL, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    peak = 0
    try:
        wait_healthy(base + "/health", server)

        def hit(i: int) -> int:
            if i % 4 == 0:
                r = httpx.post(
                    base + "/comments",
                    timeout=30,
                    headers={"Authorization": f"Bearer {token}"},
                    json={"site": "paper", "story": f"s{i % 5}", "body": f"Note {i}"},
                )
            else:
                r = httpx.get(
                    base + "/comments", params={"site": "paper", "story": f"s{i % 5}"}, timeout=30
                )
            return r.status_code

        with ThreadPoolExecutor(max_workers=24) as pool:
            futures = [pool.submit(hit, i) for i in range(240)]
            while not all(f.done() for f in futures):
                (count,) = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
                ).fetchone()
                peak = max(peak, count)
                time.sleep(0.05)
            statuses = [f.result() for f in futures]
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert all(s < 500 for s in statuses), sorted(set(statuses))
    assert statuses.count(201) == 60
    assert 0 < peak <= 2 * 3  # two workers, three pooled connections each


def test_two_servers_without_redis_see_each_others_changes(fresh_env, tmp_path):
    assert run(fresh_env, "migrate", "-v0").returncode == 0
    run(fresh_env, "createsite", "paper", "--name", "Paper")
    made = run(
        fresh_env, "createuser", "Ed", "--email", "ed@paper.example", "--site", "paper", "--token"
    )
    token = made.stdout.strip().splitlines()[-1]
    run(fresh_env, "shell", "-c", CLASSIFIER_OFF)
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [TOWNHALL, "serve", "--port", str(p), "--workers", "1"],
            env=fresh_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        a, b = (f"http://127.0.0.1:{p}/api/v1" for p in ports)
        for server, base in zip(servers, (a, b), strict=True):
            wait_healthy(base + "/health", server)
        story = {"site": "paper", "story": "x"}
        post = {"headers": {"Authorization": f"Bearer {token}"}}
        httpx.post(a + "/comments", json={**story, "body": "The first one."}, **post)
        assert httpx.get(b + "/comments", params=story).json()["story"]["comment_count"] == 1
        assert httpx.get(b + "/comments", params=story).json()["story"]["comment_count"] == 1
        httpx.post(a + "/comments", json={**story, "body": "The second one."}, **post)
        assert httpx.get(b + "/comments", params=story).json()["story"]["comment_count"] == 2
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
