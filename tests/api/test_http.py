"""The API end to end over real HTTP, as a browser or a publisher's server calls it."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.accounts.signup import answer
from tests.conftest import CLASSIFIER_OFF
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(transactional_db):
    return SiteFactory(
        slug="gazette",
        allowed_origins=["https://gazette.example"],
        hold_thresholds=CLASSIFIER_OFF,
        reject_thresholds=CLASSIFIER_OFF,
    )


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url + "/api/v1", timeout=10) as client:
        yield client


def test_a_reader_signs_up_comments_and_is_answered(site, http, live_server):
    csrf = http.get("/auth/csrf").json()["csrf_token"]
    challenge = http.get("/auth/signup/challenge", params={"site": "gazette"}).json()
    fetched = time.monotonic()
    r = http.post(
        "/auth/signup",
        json={
            "email": "eve@example.org",
            "password": "plenty of words here",
            "display_name": "Eve",
            "site": "gazette",
            **answer(challenge, fetched),
        },
        headers={"X-CSRFToken": csrf, "Referer": live_server.url},
    )
    assert r.status_code == 201, r.text
    csrf = r.json()["csrf_token"]
    headers = {"X-CSRFToken": csrf, "Referer": live_server.url}
    r = http.post(
        "/comments",
        json={"site": "gazette", "story": "fair", "body": "See you at the fair"},
        headers=headers,
    )
    assert r.status_code == 201 and r.json()["status"] == "published"
    top = r.json()["id"]
    r = http.post(
        "/comments",
        json={"site": "gazette", "story": "fair", "body": "Bring a hat", "parent_id": top},
        headers=headers,
    )
    assert r.status_code == 201

    with httpx.Client(base_url=live_server.url + "/api/v1") as stranger:
        thread = stranger.get("/comments", params={"site": "gazette", "story": "fair"}).json()
        counts = stranger.get("/counts", params=[("site", "gazette"), ("story", "fair")]).json()
    assert thread["story"]["comment_count"] == 2
    assert thread["comments"][0]["replies"][0]["body_html"] == "<p>Bring a hat</p>"
    assert counts == {"counts": {"fair": 2}}


def test_counts_answer_cors_only_for_the_sites_origins(site, http):
    params = [("site", "gazette"), ("story", "a")]
    ok = http.get("/counts", params=params, headers={"Origin": "https://gazette.example"})
    assert ok.headers.get("access-control-allow-origin") == "https://gazette.example"
    other = http.get("/counts", params=params, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_errors_are_json_with_the_right_status(site, http):
    r = http.post(
        "/comments",
        content=b"{broken",
        headers={"Content-Type": "application/json", "Authorization": "Bearer nope"},
    )
    assert r.status_code in (400, 401)
    assert set(r.json()["error"]) >= {"code", "message"}
    r = http.get("/no-such-endpoint")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = http.get("/comments", params={"site": "gazette"})
    assert r.status_code == 422 and "story" in r.json()["error"]["message"]


def test_the_openapi_schema_lists_the_contract(http):
    schema = http.get("/openapi.json").json()
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/health", "get"),
        ("/api/v1/comments", "get"),
        ("/api/v1/comments", "post"),
        ("/api/v1/counts", "get"),
        ("/api/v1/comments/{comment_id}", "patch"),
        ("/api/v1/comments/{comment_id}", "delete"),
        ("/api/v1/comments/{comment_id}/report", "post"),
        ("/api/v1/comments/{comment_id}/react", "post"),
        ("/api/v1/auth/signup", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/sso", "post"),
        ("/api/v1/auth/csrf", "get"),
        ("/api/v1/auth/password-reset", "post"),
        ("/api/v1/auth/verify", "post"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing"
