"""``GET /api/v1/live?site=S&story=K``: a discussion's changes as Server-Sent Events.

A plain ASGI handler, not a Django view: an open stream is a coroutine waiting on
a queue, so thousands of open frames cost no worker thread and no database
connection. The site is looked up once, when the stream opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host

from townhall.api.errors import error_body
from townhall.comments import cache as thread_cache
from townhall.live import events
from townhall.live.hub import hub
from townhall.sites.models import Site
from townhall.sites.services import normalise_origin

PATH = "/api/v1/live"
# What a browser waits before reconnecting after the stream drops (milliseconds).
RETRY_MS = 3000

Headers = list[tuple[bytes, bytes]]


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Headers | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or []


async def handle(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer one request to ``PATH``: an error, or a stream until the client leaves."""
    headers = dict(scope.get("headers") or [])
    try:
        site, story, cors = await _check(scope, headers)
    except Refused as exc:
        await _refuse(send, exc)
        return
    if hub.connections >= settings.TOWNHALL_LIVE_MAX_CONNECTIONS:
        # Browsers do not retry an EventSource answered with an error; the frame
        # tries again later by itself.
        await _refuse(
            send,
            Refused(503, "too_many_streams", "Too many live streams here; try again later."),
            [(b"retry-after", b"30"), *cors],
        )
        return
    hub.connections += 1
    try:
        await _stream(receive, send, events.topic(site.pk, story), headers, cors)
    finally:
        hub.connections -= 1


async def _check(scope: dict[str, Any], headers: dict[bytes, bytes]) -> tuple[Site, str, Headers]:
    if scope.get("method") != "GET":
        raise Refused(405, "method_not_allowed", "Only GET is allowed here.", [(b"allow", b"GET")])
    host, _ = split_domain_port(headers.get(b"host", b"").decode("latin-1"))
    if not host or not validate_host(host, settings.ALLOWED_HOSTS):
        raise Refused(400, "bad_host", "This host is not served here.")
    query = _query(scope.get("query_string", b""))
    slug, story = query.get("site", ""), query.get("story", "").strip()
    if not slug or not story:
        raise Refused(400, "invalid_request", "Both site and story are required.")
    if len(story) > 200:
        raise Refused(422, "invalid_story", "A story key is at most 200 characters.")
    site = thread_cache.cached_site_only(slug) or await asyncio.to_thread(_load_site, slug)
    if site is None:
        raise Refused(404, "site_not_found", f"No site {slug!r}.")
    return site, story, _cors(scope, headers, site)


def _query(raw: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(raw.decode("latin-1"), encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "invalid_request", "The query string is not valid UTF-8.") from None
    if any("\x00" in value for _, value in pairs):
        raise Refused(400, "invalid_request", "The query string holds a NUL character.")
    return dict(pairs)


def _load_site(slug: str) -> Site | None:
    try:
        return thread_cache.cached_site(slug)
    finally:
        # A worker thread of our own, outside any request: hand its connection back.
        close_old_connections()


def _cors(scope: dict[str, Any], headers: dict[bytes, bytes], site: Site) -> Headers:
    """The CORS headers for this caller; refuses an origin the site does not allow.

    The frame is on our own origin and sends no Origin header; a publisher's page
    may read the stream too, if its origin is one of the site's.
    """
    raw = headers.get(b"origin")
    if raw is None:
        return []
    try:
        origin = normalise_origin(raw.decode("latin-1"))
    except ValueError:
        raise Refused(403, "origin_not_allowed", "This origin may not read this site.") from None
    with contextlib.suppress(ValueError):
        own = f"{scope.get('scheme', 'http')}://{headers.get(b'host', b'').decode('latin-1')}"
        if origin == normalise_origin(own):
            return []
    if not site.origin_allowed(origin):
        raise Refused(403, "origin_not_allowed", "This origin may not read this site.")
    return [(b"access-control-allow-origin", origin.encode())]


async def _refuse(send: Any, exc: Refused, extra: Headers | None = None) -> None:
    body = json.dumps(error_body(exc.code, exc.message)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"vary", b"origin"),
        *exc.headers,
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _frame(event: events.Event) -> bytes:
    data = {
        "id": event["id"],
        "parent_id": event.get("parent_id"),
        "author": event.get("author"),
        "visible": event["visible"],
    }
    return f"id: {event['seq']}\nevent: comment\ndata: {json.dumps(data)}\n\n".encode()


async def _stream(
    receive: Any,
    send: Any,
    topic: str,
    headers: dict[bytes, bytes],
    cors: Headers,
) -> None:
    # Given to the browser as a starting Last-Event-ID: if this stream drops before
    # any event, the reconnect still replays what happened meanwhile.
    opened = time.time_ns()
    sub = await hub.subscribe(topic)

    async def watch_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        sub.deliver(None)

    watcher = asyncio.create_task(watch_disconnect())
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache, no-transform"),
                    (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
                    (b"vary", b"origin"),
                    (b"x-content-type-options", b"nosniff"),
                    *cors,
                ],
            }
        )
        start = f"retry: {RETRY_MS}\nid: {opened}\n\n".encode()
        await send({"type": "http.response.body", "body": start, "more_body": True})
        sent = await _replay(send, topic, headers.get(b"last-event-id", b""))
        heartbeat = settings.TOWNHALL_LIVE_HEARTBEAT_SECONDS
        # Streams end by themselves now and then (the browser reconnects at once and
        # is told what it missed): a server that is shutting down waits for open
        # requests, and would otherwise wait for every reader to close their tab.
        lifetime = settings.TOWNHALL_LIVE_MAX_STREAM_SECONDS * random.uniform(0.75, 1.25)  # noqa: S311
        ends = time.monotonic() + lifetime
        while (left := ends - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(sub.queue.get(), min(heartbeat, left))
            except TimeoutError:
                # Keeps proxies from closing a quiet stream, and finds a vanished client.
                chunk = b": ping\n\n"
            else:
                if event is None:
                    break
                if event["seq"] in sent:
                    continue
                chunk = _frame(event)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except (OSError, RuntimeError):
        pass  # the client went away mid-send; nothing more to say to it
    finally:
        hub.unsubscribe(sub)
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    with contextlib.suppress(OSError, RuntimeError):
        await send({"type": "http.response.body", "body": b""})


async def _replay(send: Any, topic: str, last_id: bytes) -> set[int]:
    """After a reconnect, the events the browser missed; returns what was sent."""
    if not last_id.isdigit():
        return set()
    after = int(last_id)
    missed = [e for e in await asyncio.to_thread(events.read_log, topic) if e["seq"] > after]
    for event in missed:
        await send({"type": "http.response.body", "body": _frame(event), "more_body": True})
    return {e["seq"] for e in missed}
