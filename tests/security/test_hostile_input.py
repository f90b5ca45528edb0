"""Hostile requests, one row each: the right 4xx, the JSON error shape, nothing stored.

Every row is sent by Alice with her bearer token (so CSRF is not what refuses it)
unless it says otherwise, against the seeded Gazette.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.test import Client

from tests.security.conftest import CSRF_TOKEN, assert_error_shape, snapshot
from townhall.comments.models import Comment

pytestmark = pytest.mark.django_db

BIG = 3 * 1024 * 1024  # over Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE


def _json(**fields) -> bytes:
    return json.dumps(
        {"site": "gazette", "story": "budget", "body": "Fine words", **fields}
    ).encode()


@dataclass
class Row:
    name: str
    method: str
    path: str
    status: int | tuple[int, ...]
    body: bytes | None = None
    content_type: str = "application/json"
    code: str | None = None
    caller: str | None = "alice"
    headers: dict[str, str] = field(default_factory=dict)


ROWS = [
    # --- size ---------------------------------------------------------------------------
    Row(
        "body over the upload limit",
        "post",
        "/comments",
        413,
        _json(body="x" * BIG),
        code="too_large",
    ),
    Row(
        "form body over the upload limit, browser with CSRF cookie",
        "post",
        "/comments",
        413,
        b"body=" + b"x" * BIG,
        "application/x-www-form-urlencoded",
        code="too_large",
        caller="browser",
    ),
    Row("body over the schema's 100 000", "post", "/comments", 422, _json(body="x" * 100_001)),
    Row(
        "body over the site's 5 000",
        "post",
        "/comments",
        413,
        _json(body="x" * 5_001),
        code="too_long",
    ),
    Row("empty body", "post", "/comments", 422, b""),
    Row("only whitespace", "post", "/comments", 422, _json(body=" \n\t\u00a0 "), code="too_short"),
    Row("only NULs", "post", "/comments", 422, _json(body="\x00\x00"), code="too_short"),
    # --- malformed JSON -----------------------------------------------------------------
    Row(
        "truncated JSON",
        "post",
        "/comments",
        400,
        b'{"site": "gazette", "bo',
        code="malformed_json",
    ),
    Row(
        "not JSON at all",
        "post",
        "/comments",
        400,
        b"site=gazette&story=a&body=hi",
        code="malformed_json",
    ),
    Row(
        "JSON with a trailing comma",
        "post",
        "/comments",
        400,
        b'{"site": "gazette", "story": "a", "body": "hi",}',
        code="malformed_json",
    ),
    Row(
        "deeply nested JSON",
        "post",
        "/comments",
        400,
        b"[" * 100_000 + b"]" * 100_000,
        code="malformed_json",
    ),
    Row(
        "lone surrogate escape in the body",
        "post",
        "/comments",
        400,
        b'{"site": "gazette", "story": "budget", "body": "a\\ud800b"}',
        code="malformed_json",
    ),
    Row(
        "lone surrogate escape in a display name",
        "patch",
        "/me",
        400,
        b'{"site": "gazette", "display_name": "Al\\udfffice"}',
        code="malformed_json",
    ),
    Row(
        "non-UTF-8 bytes",
        "post",
        "/comments",
        400,
        b'{"site": "gazette", "story": "budget", "body": "caf\xe9 \xff\xfe"}',
        code="malformed_json",
    ),
    # --- wrong types --------------------------------------------------------------------
    Row("a JSON array", "post", "/comments", 422, b"[1, 2, 3]"),
    Row("a JSON string", "post", "/comments", 422, b'"hello"'),
    Row("null", "post", "/comments", 422, b"null"),
    Row("body is a number", "post", "/comments", 422, _json(body=5)),
    Row("body is an object", "post", "/comments", 422, _json(body={"$gt": ""})),
    Row("site is a list", "post", "/comments", 422, _json(site=["gazette"])),
    Row("parent_id is text", "post", "/comments", 422, _json(parent_id="1 OR 1=1")),
    Row("parent_id is a float", "post", "/comments", 422, _json(parent_id=1.5)),
    Row("parent_id beyond 64 bits", "post", "/comments", (404, 422), _json(parent_id=10**20)),
    Row("parent_id negative", "post", "/comments", (404, 422), _json(parent_id=-1)),
    Row("react body is an array", "post", "/comments/{c}/react", 422, b"[]"),
    Row("react body is a string", "post", "/comments/{c}/react", 422, b'"like"'),
    Row("react with another kind", "post", "/comments/{c}/react", 422, b'{"kind": "love"}'),
    Row("notification settings are null", "patch", "/me/notifications", 422, b"null"),
    Row("notification settings are a list", "patch", "/me/notifications", 422, b"[]"),
    Row("account erasure with a null body", "delete", "/me", 422, b"null"),
    Row("report reason is a number", "post", "/comments/{c}/report", 422, b'{"reason": 3}'),
    Row(
        "report with an unknown reason",
        "post",
        "/comments/{c}/report",
        (400, 422),
        b'{"reason": "boring"}',
    ),
    Row(
        "NaN threshold",
        "patch",
        "/moderation/settings?site=gazette",
        422,
        b'{"hold_thresholds": {"toxicity": NaN}}',
        caller="mallory",
    ),
    Row(
        "minus Infinity threshold",
        "patch",
        "/moderation/settings?site=gazette",
        422,
        b'{"reject_thresholds": {"toxicity": -Infinity}}',
        caller="mallory",
    ),
    Row(
        "settings body is a list",
        "patch",
        "/moderation/settings?site=gazette",
        422,
        b'["premoderation"]',
        caller="mallory",
    ),
    Row(
        "an unknown setting",
        "patch",
        "/moderation/settings?site=gazette",
        422,
        b'{"slug": "taken-over"}',
        caller="mallory",
    ),
    # --- ids ----------------------------------------------------------------------------
    Row(
        "id beyond 64 bits: edit",
        "patch",
        "/comments/99999999999999999999",
        (404, 422),
        b'{"body": "new"}',
    ),
    Row("id beyond 64 bits: delete", "delete", "/comments/99999999999999999999", (404, 422)),
    Row(
        "id beyond 64 bits: react",
        "post",
        "/comments/99999999999999999999/react",
        (404, 422),
        b"{}",
    ),
    Row(
        "id beyond 64 bits: moderate",
        "post",
        "/moderation/comments/99999999999999999999",
        (404, 422),
        b'{"action": "approve"}',
        caller="mallory",
    ),
    Row(
        "id beyond 64 bits: user",
        "post",
        "/moderation/users/99999999999999999999",
        (404, 422),
        b'{"site": "gazette", "action": "ban"}',
        caller="mallory",
    ),
    Row(
        "id beyond 64 bits: mute",
        "post",
        "/me/mutes",
        (404, 422),
        b'{"site": "gazette", "user_id": 99999999999999999999}',
    ),
    Row(
        "id beyond 64 bits: queue author",
        "get",
        "/moderation/queue?site=gazette&author=99999999999999999999",
        (200, 404, 422),
        caller="mallory",
    ),
    Row(
        "id beyond 64 bits: eyewitness tip",
        "post",
        "/tips",
        (404, 422),
        b'{"site": "gazette", "story": "budget", "comment_id": 99999999999999999999}',
    ),
    Row(
        "id beyond 64 bits: appeal",
        "post",
        "/comments/99999999999999999999/appeal",
        (404, 422),
        b'{"note": "please"}',
    ),
    Row(
        "id beyond 64 bits: focus",
        "get",
        "/comments?site=gazette&story=budget&comment=99999999999999999999",
        (404, 422),
    ),
    Row("negative id", "delete", "/comments/-1", (404, 422)),
    Row("id that is not a number", "delete", "/comments/1;DROP TABLE", (404, 422)),
    Row("id with a path trick", "delete", "/comments/..%2f..%2fhealth", (404, 422)),
    # --- query strings ------------------------------------------------------------------
    Row(
        "negative limit",
        "get",
        "/comments?site=gazette&story=budget&limit=-1",
        400,
        code="invalid_limit",
    ),
    Row(
        "zero limit",
        "get",
        "/comments?site=gazette&story=budget&limit=0",
        400,
        code="invalid_limit",
    ),
    Row(
        "limit over the max",
        "get",
        "/comments?site=gazette&story=budget&limit=201",
        400,
        code="invalid_limit",
    ),
    Row(
        "limit beyond 64 bits",
        "get",
        "/comments?site=gazette&story=budget&limit=99999999999999999999",
        (400, 422),
    ),
    Row("limit is text", "get", "/comments?site=gazette&story=budget&limit=ten", 422),
    Row(
        "audit limit negative",
        "get",
        "/moderation/audit?site=gazette&limit=-5",
        400,
        caller="mallory",
    ),
    Row(
        "audit before beyond 64 bits",
        "get",
        "/moderation/audit?site=gazette&before=99999999999999999999",
        (200, 400, 422),
        caller="mallory",
    ),
    Row(
        "queue limit negative",
        "get",
        "/moderation/queue?site=gazette&limit=-5",
        (400, 422),
        caller="mallory",
    ),
    Row(
        "unknown sort",
        "get",
        "/comments?site=gazette&story=budget&sort=random()",
        400,
        code="invalid_sort",
    ),
    Row(
        "forged cursor",
        "get",
        "/comments?site=gazette&story=budget&cursor=eyJzIjoibmV3ZXN0In0",
        400,
        code="invalid_cursor",
    ),
    Row("enormous story key", "get", "/comments?site=gazette&story=" + "k" * 100_000, 422),
    Row("enormous cursor", "get", "/comments?site=gazette&story=a&cursor=" + "c" * 100_000, 422),
    Row(
        "a thousand and one query fields",
        "get",
        "/counts?site=gazette&" + "&".join(f"story=s{i}" for i in range(1001)),
        (400, 422),
    ),
    Row(
        "counts for more than 500 stories",
        "get",
        "/counts?site=gazette&" + "&".join(f"story=s{i}" for i in range(501)),
        422,
    ),
    Row("undecodable query bytes", "get", "/comments?site=gazette&story=%ff%fe%c0%af", 200),
    # NUL is dropped from every string (PostgreSQL text cannot hold it), never a 500.
    Row("NUL in the query", "get", "/comments?site=%00nowhere&story=a%00b", 404),
    Row("NUL in a JSON site", "post", "/comments", 404, _json(site="no\u0000where")),
    Row(
        "NUL in a display name",
        "patch",
        "/me",
        422,
        b'{"site": "gazette", "display_name": "\\u0000"}',
    ),
    Row("NUL in a mute", "post", "/me/mutes", 404, b'{"site": "\\u0000", "user_id": 1}'),
    # --- content types ------------------------------------------------------------------
    Row(
        "multipart that is not",
        "post",
        "/comments",
        (400, 415, 422),
        b"--x\r\n\r\n--x--",
        "multipart/form-data; boundary=x",
        caller="browser",
    ),
    Row(
        "multipart with no boundary, browser with CSRF cookie",
        "post",
        "/comments",
        (400, 403, 415, 422),
        b"junk",
        "multipart/form-data",
        caller="browser",
    ),
    Row(
        "XML",
        "post",
        "/comments",
        (400, 415),
        b"<comment><body>hi</body></comment>",
        "application/xml",
    ),
    # --- methods ------------------------------------------------------------------------
    Row("PUT a comment", "put", "/comments/{c}", 405, b'{"body": "x"}'),
    Row("DELETE the thread", "delete", "/comments?site=gazette&story=budget", 405),
    Row("POST to counts", "post", "/counts?site=gazette", 405, b"{}"),
    Row("PATCH health", "patch", "/health", 405, b"{}"),
    Row("TRACE", "trace", "/comments?site=gazette&story=budget", 405),
    # --- who ----------------------------------------------------------------------------
    Row(
        "a forged bearer token",
        "post",
        "/comments",
        401,
        _json(),
        code="invalid_token",
        caller="bogus",
    ),
    Row(
        "a session-less post with no CSRF token",
        "post",
        "/comments",
        403,
        _json(),
        code="csrf_failed",
        caller=None,
    ),
    Row("a commenter in the moderation queue", "get", "/moderation/queue?site=gazette", 403),
    Row("a commenter approving", "post", "/moderation/comments/{p}", 403, b'{"action": "approve"}'),
    Row(
        "editing someone else's comment",
        "patch",
        "/comments/{b}",
        403,
        b'{"body": "mine"}',
        code="not_yours",
    ),
    Row("deleting someone else's comment", "delete", "/comments/{b}", 403, code="not_yours"),
]


def _send(world, row: Row):
    headers = world.bearer(row.caller)
    path = row.path.format(c=world.comment_ids[0], b=world.comment_ids[1], p=world.pending_id)
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in {**headers, **row.headers}.items()
    }
    client = Client(enforce_csrf_checks=True)
    if row.caller == "browser":
        client.cookies["csrftoken"] = CSRF_TOKEN
        extra.pop("HTTP_COOKIE", None)
    kwargs = {}
    if row.body is not None:
        kwargs = {"data": row.body, "content_type": row.content_type}
    return client.generic(row.method.upper(), "/api/v1" + path, **kwargs, **extra)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_hostile_request_is_refused_cleanly(world, row):
    before = snapshot()
    comment_bodies = sorted(Comment.objects.values_list("pk", "body", "status"))
    r = _send(world, row)
    expected = row.status if isinstance(row.status, tuple) else (row.status,)
    assert r.status_code in expected, f"{r.status_code}: {r.content[:300]!r}"
    if r.status_code >= 400:
        error = assert_error_shape(r.status_code, r.content, r.headers.get("Content-Type", ""))
        if row.code:
            assert error["code"] == row.code, error
    assert snapshot() == before, "the refused request changed the database"
    assert sorted(Comment.objects.values_list("pk", "body", "status")) == comment_bodies


def test_unknown_fields_cannot_assign_what_the_server_decides(world, api_for):
    """Extra fields are ignored, never applied: no mass assignment of status, author, etc."""
    r = Client().post(
        "/api/v1/comments",
        _json(
            body="Just my view",
            status="published",
            featured=True,
            author={"id": world.mallory.user_id},
            author_id=world.mallory.user_id,
            id=1,
            like_count=1000,
            body_html="<script>alert(1)</script>",
            created_at="2000-01-01T00:00:00Z",
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.bob_token}",
    )
    assert r.status_code == 201, r.content
    c = Comment.objects.get(pk=r.json()["id"])
    assert c.pk != 1 and c.author_id == world.bob.pk and not c.featured
    assert c.like_count == 0 and c.body_html == "<p>Just my view</p>"
    assert c.created_at.year > 2000


def test_a_refused_post_to_a_new_story_leaves_no_story(world):
    """409/404/429 come after the story key is known; none may create the story."""
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.alice_token}"}

    def post(**fields):
        return client.post("/api/v1/comments", _json(**fields), "application/json", **headers)

    before = snapshot()
    assert post(story="never-1", parent_id=world.comment_ids[0]).status_code == 404
    assert snapshot() == before
    assert post(story="dup", body="Same again").status_code == 201
    before = snapshot()
    r = post(story="never-2", body="Same again")
    assert r.status_code == 409, r.content
    assert snapshot() == before


def test_rate_limited_posts_create_no_stories(world, settings):
    settings.TOWNHALL_POST_RATE = 2
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.alice_token}"}
    statuses = [
        client.post(
            "/api/v1/comments",
            _json(story=f"flood-{i}", body=f"Post {i}"),
            "application/json",
            **headers,
        ).status_code
        for i in range(6)
    ]
    assert statuses == [201, 201, 429, 429, 429, 429]
    assert sorted(world.site.stories.values_list("key", flat=True)) == [
        "budget",
        "flood-0",
        "flood-1",
    ]


@pytest.mark.django_db(transaction=True)
def test_an_id_beyond_64_bits_in_a_delete_is_refused(world):
    """Outside a test transaction: the overflow happens inside Django's own atomic delete."""
    before = snapshot()
    r = Client().delete(
        "/api/v1/me/mutes/99999999999999999999?site=gazette",
        HTTP_AUTHORIZATION=f"Bearer {world.alice_token}",
    )
    assert r.status_code in (204, 404, 422), r.content
    if r.status_code != 204:
        assert_error_shape(r.status_code, r.content, r.headers["Content-Type"])
    assert snapshot() == before
