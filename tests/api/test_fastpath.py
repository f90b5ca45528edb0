"""The ASGI fast path answers unchanged anonymous reads with exactly Django's bytes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from townhall.asgi import application
from townhall.lib import metrics

pytestmark = pytest.mark.django_db(transaction=True)

QUERY = {"site": "gazette", "story": "s"}


def fast_hits() -> float:
    return metrics.THREAD_CACHE.labels("fast_hit")._value.get()


def asgi_get(params=None, path="/api/v1/comments", **headers) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path, params=params or QUERY, headers=headers)

    return asyncio.run(go())


def counts_fast_hits() -> float:
    return metrics.COUNTS_CACHE.labels("fast_hit")._value.get()


COUNTS = {"site": "gazette", "story": ["s", "t", "unknown"]}


def get_counts(**headers) -> httpx.Response:
    return asgi_get(COUNTS, path="/api/v1/counts", **headers)


def test_a_repeated_read_is_answered_by_the_fast_path_with_the_same_bytes(as_alice):
    as_alice.post("/comments", {**QUERY, "body": "On the fast path."})
    before = fast_hits()
    first = asgi_get()  # a miss: Django builds and stores it
    second = asgi_get()
    assert fast_hits() == before + 1
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    for header in ("content-type", "etag", "cache-control", "x-content-type-options"):
        assert first.headers[header] == second.headers[header], header
    assert asgi_get(**{"If-None-Match": first.headers["etag"]}).status_code == 304


def test_the_fast_path_never_serves_a_stale_thread(as_alice):
    as_alice.post("/comments", {**QUERY, "body": "One."})
    asgi_get()
    asgi_get()
    as_alice.post("/comments", {**QUERY, "body": "Two."})
    assert asgi_get().json()["story"]["comment_count"] == 2


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"Cookie": "townhall_session=abc"}, None),
        ({"Authorization": "Bearer th_x"}, None),
        ({"Origin": "https://gazette.example"}, None),
        ({}, {**QUERY, "limit": "ten"}),
        ({}, {**QUERY, "unknown": "1"}),
    ],
)
def test_anything_unusual_goes_to_django(as_alice, headers, params):
    as_alice.post("/comments", {**QUERY, "body": "Warm the cache."})
    asgi_get()
    before = fast_hits()
    response = asgi_get(params, **headers)
    assert fast_hits() == before
    if "Origin" in headers:
        assert response.headers["access-control-allow-origin"] == "https://gazette.example"


def test_a_host_we_do_not_serve_is_refused_by_django(as_alice):
    as_alice.post("/comments", {**QUERY, "body": "Warm the cache."})
    asgi_get()

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as c:
            return await c.get("/api/v1/comments", params=QUERY)

    assert asyncio.run(go()).status_code == 400


def test_a_story_deleted_and_begun_again_is_not_served_from_memory(as_alice):
    from townhall.sites.models import Story

    as_alice.post("/comments", {**QUERY, "body": "The old discussion."})
    asgi_get()
    asgi_get()  # remembered by the fast path
    Story.objects.filter(key="s").delete()
    as_alice.post("/comments", {**QUERY, "body": "A new discussion."})
    bodies = [c["body_html"] for c in asgi_get().json()["comments"]]
    assert len(bodies) == 1 and "new" in bodies[0]


@pytest.mark.parametrize("origin", [None, "https://gazette.example"])
def test_counts_are_answered_by_the_fast_path_as_django_answers_them(as_alice, origin):
    headers = {"Origin": origin} if origin else {}
    as_alice.post("/comments", {**QUERY, "body": "Counted."})
    before = counts_fast_hits()
    first = get_counts(**headers)  # Django, which stores the answer
    second = get_counts(**headers)
    assert counts_fast_hits() == before + 1
    assert first.json() == {"counts": {"s": 1, "t": 0, "unknown": 0}}
    assert first.content == second.content
    assert dict(first.headers) == dict(second.headers)
    assert second.headers.get("access-control-allow-origin") == origin


def test_counts_move_at_once_when_a_comment_is_published_or_removed(
    as_alice, as_bob, mallory, api_for
):
    as_alice.post("/comments", {**QUERY, "body": "One."})
    get_counts()
    get_counts()
    _, second = as_bob.post("/comments", {"site": "gazette", "story": "t", "body": "Two."})
    assert get_counts().json()["counts"] == {"s": 1, "t": 1, "unknown": 0}
    api_for(mallory).post(
        f"/moderation/comments/{second['id']}", {"action": "reject", "guideline": "spam"}
    )
    assert get_counts().json()["counts"] == {"s": 1, "t": 0, "unknown": 0}


def test_an_origin_the_site_does_not_list_is_judged_by_django(as_alice):
    as_alice.post("/comments", {**QUERY, "body": "Counted."})
    get_counts()
    before = counts_fast_hits()
    answer = get_counts(Origin="https://elsewhere.example")
    assert counts_fast_hits() == before
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
