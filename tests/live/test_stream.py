"""``/api/v1/live`` on real granian servers: what an open comment frame is told."""

from __future__ import annotations

import os
import time
import uuid

import httpx
import pytest

from tests.live.servers import (
    author_of,
    base_env,
    open_stream,
    post_comment,
    prepare,
    serve,
    stop,
    wait_for,
)


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    """Two workers sharing a file cache, as ``townhall serve`` runs without Redis."""
    tmp = tmp_path_factory.mktemp("live")
    env = base_env(tmp)
    tokens = prepare(env)
    server = serve(env, tmp / "server.log", workers=2)
    try:
        yield server.base, tokens
    finally:
        stop(server.proc)


def test_a_posted_comment_and_its_removal_reach_an_open_stream(paper):
    base, tokens = paper
    stream = open_stream(base, "paper", "harbour")
    try:
        # Another discussion's news is not this one's.
        post_comment(base, tokens["Rosa"], "market", "The market hall looks splendid.")
        started = time.monotonic()
        posted = post_comment(base, tokens["Rosa"], "harbour", "The new lights are lovely.")
        event = stream.next()
        took = time.monotonic() - started
        rosa = author_of(base, "harbour", posted["id"])
        assert event["event"] == "comment"
        assert event["data"] == {
            "id": posted["id"],
            "parent_id": None,
            "author": rosa,
            "visible": True,
        }
        # Two workers: whichever took the post, the stream's worker heard of it within
        # about a poll interval.
        assert took < 5

        r = httpx.post(
            base + f"/api/v1/moderation/comments/{posted['id']}",
            headers={"Authorization": f"Bearer {tokens['Mo']}"},
            json={"action": "reject", "guideline": "nice"},
        )
        assert r.status_code == 200, r.text
        removed = stream.next()
        while removed["data"]["visible"]:  # the post may be told twice (saved twice)
            removed = stream.next()
        assert removed["data"] == {
            "id": posted["id"],
            "parent_id": None,
            "author": rosa,
            "visible": False,
        }
    finally:
        stream.close()


def test_a_reconnecting_reader_is_told_what_it_missed(paper):
    base, tokens = paper
    story = f"s-{uuid.uuid4().hex[:8]}"
    stream = open_stream(base, "paper", story)
    first = post_comment(base, tokens["Rosa"], story, "First thoughts on the story.")
    seen = stream.next()
    assert seen["data"]["id"] == first["id"]
    stream.close()
    second = post_comment(base, tokens["Rosa"], story, "Second thoughts, while away.")
    # What a browser's EventSource sends when it reconnects.
    again = open_stream(base, "paper", story, **{"Last-Event-ID": seen["id"]})
    try:
        ids = set()
        wait_for(lambda: ids.add(again.next()["data"]["id"]) or second["id"] in ids)
    finally:
        again.close()


def test_a_reader_who_reconnects_before_any_event_misses_nothing(paper):
    base, tokens = paper
    story = f"s-{uuid.uuid4().hex[:8]}"
    stream = open_stream(base, "paper", story)
    assert stream.last_id  # the stream's own starting point
    stream.close()
    posted = post_comment(base, tokens["Rosa"], story, "Posted while the reader was away.")
    again = open_stream(base, "paper", story, **{"Last-Event-ID": stream.last_id})
    try:
        assert again.next()["data"]["id"] == posted["id"]
    finally:
        again.close()


@pytest.mark.parametrize(
    ("query", "headers", "status", "code"),
    [
        ({"site": "paper"}, {}, 400, "invalid_request"),
        ({"site": "nowhere", "story": "x"}, {}, 404, "site_not_found"),
        ({"site": "paper", "story": "x" * 201}, {}, 422, "invalid_story"),
        ({"site": "paper", "story": "x"}, {"Origin": "https://evil.example"}, 403, None),
    ],
)
def test_bad_requests_get_a_json_error(paper, query, headers, status, code):
    base, _ = paper
    r = httpx.get(base + "/api/v1/live", params=query, headers=headers, timeout=5)
    assert r.status_code == status
    assert r.json()["error"]["code"] == (code or "origin_not_allowed")


def test_only_get_is_allowed(paper):
    base, _ = paper
    r = httpx.post(base + "/api/v1/live", params={"site": "paper", "story": "x"}, timeout=5)
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_a_publisher_origin_of_the_site_may_read_the_stream(paper):
    base, _ = paper
    stream = open_stream(base, "paper", "x", Origin="https://paper.example")
    try:
        assert stream.response.status_code == 200
        assert stream.response.headers["access-control-allow-origin"] == "https://paper.example"
        assert stream.response.headers["content-type"].startswith("text/event-stream")
    finally:
        stream.close()


def test_streams_are_capped_per_process_freed_when_readers_leave_and_end_in_time(tmp_path):
    env = base_env(tmp_path)
    env.update(
        TOWNHALL_LIVE_MAX_CONNECTIONS="1",
        TOWNHALL_LIVE_HEARTBEAT_SECONDS="1",
        TOWNHALL_LIVE_MAX_STREAM_SECONDS="4",
    )
    prepare(env)
    server = serve(env, tmp_path / "server.log", workers=1)
    try:
        first = open_stream(server.base, "paper", "x")
        busy = open_stream(server.base, "paper", "x")
        assert busy.response.status_code == 503
        assert busy.response.headers["retry-after"]
        assert busy.response.json()["error"]["code"] == "too_many_streams"
        busy.close()
        first.close()
        # The server notices the reader left and gives the place to the next one.
        deadline = time.monotonic() + 5
        while True:
            again = open_stream(server.base, "paper", "x")
            if again.response.status_code == 200 or time.monotonic() > deadline:
                break
            again.close()
            time.sleep(0.2)
        assert again.response.status_code == 200
        # A quiet stream still hears from the server, so proxies keep it open...
        wait_for(lambda: again.comments >= 2, timeout=5)
        # ...and ends by itself after a while, so a stopping server is not held up.
        wait_for(lambda: again.ended, timeout=10)
        again.close()
    finally:
        stop(server.proc)


def _services_or_skip() -> tuple[str, str]:
    import psycopg
    import redis

    pg = os.environ.get("TOWNHALL_TEST_POSTGRES", "postgres://127.0.0.1:5432/postgres")
    url = os.environ.get("TOWNHALL_TEST_REDIS", "redis://127.0.0.1:6379/3")
    try:
        psycopg.connect(pg, connect_timeout=3).close()
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except (psycopg.OperationalError, redis.RedisError) as exc:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(f"PostgreSQL ({pg}) and Redis ({url}) are needed with CI=true: {exc}")
        pytest.skip(f"PostgreSQL ({pg}) or Redis ({url}) is not reachable: {exc}")
    return pg, url


def test_a_comment_posted_on_one_server_reaches_a_stream_on_another(tmp_path):
    """PostgreSQL and Redis shared by two servers: pub/sub carries the news across."""
    import psycopg

    pg, redis_url = _services_or_skip()
    name = f"townhall_live_{os.getpid()}"
    admin = psycopg.connect(pg, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **base_env(tmp_path),
        "DATABASE_URL": pg.rsplit("/", 1)[0] + "/" + name,
        "REDIS_URL": redis_url,
        "TOWNHALL_CACHE_PREFIX": name,  # apart from anyone else on this Redis
    }
    servers = []
    try:
        tokens = prepare(env)
        servers = [serve(env, tmp_path / f"server{i}.log", workers=1) for i in (1, 2)]
        a, b = (s.base for s in servers)
        stream = open_stream(a, "paper", "harbour")
        try:
            started = time.monotonic()
            posted = post_comment(b, tokens["Rosa"], "harbour", "Seen from the other server.")
            event = stream.next(timeout=10)
            assert event["data"]["id"] == posted["id"] and event["data"]["visible"] is True
            assert time.monotonic() - started < 5
        finally:
            stream.close()
    finally:
        for s in servers:
            stop(s.proc)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
