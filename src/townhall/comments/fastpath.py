"""Anonymous thread reads and comment counts answered from the cache before Django.

Nearly every read of a discussion is by a reader who is not signed in, of a story
that has not changed since the last reader; nearly every count is asked by an
article page for stories whose counts have not moved. For those, this answers with
the very bytes the API stored (and a thread's ETag) at a fraction of the cost of
Django's handlers and middleware; anything else — a signed-in caller, an origin the
site does not list, a parameter it does not understand, a cache miss — goes on to
Django unchanged.
"""

from __future__ import annotations

import functools
import time
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http.request import split_domain_port, validate_host

from townhall.comments import cache as thread_cache
from townhall.comments.threads import DEFAULT_LIMIT
from townhall.lib import metrics
from townhall.sites.services import normalise_origin

PATH = "/api/v1/comments"
COUNTS_PATH = "/api/v1/counts"
_PARAMS = {"site", "story", "sort", "cursor", "limit", "comment"}
_ROUTE = "/api/v1/comments"
_COUNTS_ROUTE = "/api/v1/counts"
MAX_COUNTED_STORIES = 500  # comments.api.CountsQuery; more is Django's 422
_JSON = b"application/json; charset=utf-8"

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


@functools.cache
def _settings() -> tuple[list[tuple[bytes, bytes]], bytes, list[str]]:
    # Read once: a cached read is so cheap that looking settings up is a cost.
    headers = [
        (b"x-frame-options", settings.X_FRAME_OPTIONS.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", settings.SECURE_REFERRER_POLICY.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    return headers, settings.SESSION_COOKIE_NAME.encode(), list(settings.ALLOWED_HOSTS)


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    _settings.cache_clear()


@functools.cache
def _counted(outcome: str, status: int) -> tuple[Any, Any, Any]:
    # Label lookups cost more than the counting itself; each outcome's are bound once.
    return (
        metrics.THREAD_CACHE.labels(outcome),
        metrics.LATENCY.labels(_ROUTE),
        metrics.REQUESTS.labels("GET", _ROUTE, str(status)),
    )


@functools.cache
def _counted_counts() -> tuple[Any, Any, Any]:
    return (
        metrics.COUNTS_CACHE.labels("fast_hit"),
        metrics.LATENCY.labels(_COUNTS_ROUTE),
        metrics.REQUESTS.labels("GET", _COUNTS_ROUTE, "200"),
    )


def _headers(extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    # What Django's middleware puts on the same answer (see comments.api).
    return [*extra, *_settings()[0]]


@functools.lru_cache(maxsize=4096)
def _params(query: bytes) -> dict[str, Any] | None:
    # Remembered: readers of one story send the same query string, and parsing it
    # cost a third of a cached answer. The dict returned is shared; never change it.
    try:
        pairs = parse_qsl(
            query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        return None
    found: dict[str, str] = {}
    for name, value in pairs:
        if name not in _PARAMS or name in found or "\x00" in value:
            return None
        found[name] = value
    if not found.get("site") or not found.get("story"):
        return None
    try:
        limit = int(found.get("limit", DEFAULT_LIMIT))
        comment = int(found["comment"]) if "comment" in found else None
    except ValueError:
        return None
    return {
        "site": found["site"],
        "story": found["story"],
        "sort": found.get("sort", "newest"),
        "cursor": found.get("cursor"),
        "limit": limit,
        "comment": comment,
    }


def answer(scope: dict[str, Any]) -> Answer | None:
    """The cached answer to this request, or None to let Django handle it."""
    if scope.get("method") != "GET":
        return None
    path = scope.get("path")
    if path != PATH and path != COUNTS_PATH:
        return None
    started = time.perf_counter()
    headers = dict(scope.get("headers") or [])
    if b"authorization" in headers:
        return None  # a caller Django must recognise (or refuse)
    _, session_cookie, allowed_hosts = _settings()
    if session_cookie in headers.get(b"cookie", b""):
        return None  # perhaps signed in: their own held comments belong in the answer
    host, _ = split_domain_port(headers.get(b"host", b"").decode("latin-1"))
    if not host or not validate_host(host, allowed_hosts):
        return None
    if path == COUNTS_PATH:
        return _counts(scope, headers, started)
    if b"origin" in headers:
        return None  # needs CORS: Django's job
    q = _params(scope.get("query_string", b""))
    if q is None:
        return None
    key = thread_cache.fast_payload_key(
        q["site"], q["story"], (q["story"], q["sort"], q["cursor"], q["limit"], q["comment"])
    )
    if key is None:
        return None
    etag = f'"{key[5:]}"'.encode()
    if headers.get(b"if-none-match") == etag:
        result: Answer = (304, _headers([(b"vary", b"Cookie, origin"), (b"etag", etag)]), b"")
        outcome = "not_modified"
    else:
        body = thread_cache.fast_get(key, q["site"], q["story"])
        if body is None:
            return None
        result = (
            200,
            _headers(
                [
                    (b"content-type", _JSON),
                    (b"vary", b"Cookie, origin"),
                    (b"etag", etag),
                    (b"cache-control", b"public, max-age=5, stale-while-revalidate=30"),
                    (b"content-length", str(len(body)).encode()),
                ]
            ),
            body,
        )
        outcome = "fast_hit"
    hits, latency, requests = _counted(outcome, result[0])
    hits.inc()
    latency.observe(time.perf_counter() - started)
    requests.inc()
    return result


@functools.lru_cache(maxsize=1024)
def _counts_params(query: bytes) -> tuple[str, tuple[str, ...]] | None:
    try:
        pairs = parse_qsl(
            query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        return None
    site: str | None = None
    stories: list[str] = []
    for name, value in pairs:
        if "\x00" in value:
            return None
        if name == "site" and site is None:
            site = value
        elif name == "story":
            stories.append(value)
        else:
            return None
    if not site or not stories or len(stories) > MAX_COUNTED_STORIES:
        return None
    return site, tuple(stories)


def _counts(scope: dict[str, Any], headers: dict[bytes, bytes], started: float) -> Answer | None:
    q = _counts_params(scope.get("query_string", b""))
    if q is None:
        return None
    site, stories = q
    found = thread_cache.fast_counts_key(site, stories)
    if found is None:
        return None
    key, origins = found
    extra = [(b"content-type", _JSON), (b"vary", b"origin")]
    origin = headers.get(b"origin")
    if origin is not None:
        # Article pages ask cross-origin. Their site's own origins are answered here;
        # any other origin is Django's to judge (another site may list it).
        try:
            listed = normalise_origin(origin.decode("latin-1")) in origins
        except ValueError:
            return None
        if not listed:
            return None
        extra.append((b"access-control-allow-origin", origin))
    body = thread_cache.fast_counts_get(key, site)
    if body is None:
        return None
    extra.append((b"content-length", str(len(body)).encode()))
    hits, latency, requests = _counted_counts()
    hits.inc()
    latency.observe(time.perf_counter() - started)
    requests.inc()
    return 200, _headers(extra), body
