"""One attempt at delivering an event to an endpoint: sign, POST, log, schedule the next."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from dramatiq.common import compute_backoff

from townhall import __version__
from townhall.lib import background
from townhall.webhooks.models import Attempt, Delivery, DeliveryState, Event

MAX_BACKOFF_MS = 6 * 3600 * 1000


class UnsafeUrl(ValueError):
    """The URL is not one townhall will POST to."""


def check_url(url: str, *, resolve: bool) -> None:
    """Refuse anything but http(s) to a public address (unless private ones are allowed).

    With ``resolve`` the host name is looked up and every address it has is checked.

    Raises:
        UnsafeUrl: with a message fit to show the person who entered the URL.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl(
            gettext("A webhook URL must start with http:// or https:// and name a host.")
        )
    if settings.TOWNHALL_WEBHOOK_ALLOW_PRIVATE:
        return
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            raise UnsafeUrl(gettext("A webhook URL must point at a public address.")) from None
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise UnsafeUrl(
                gettext("Cannot resolve %(host)s: %(error)s") % {"host": host, "error": exc}
            ) from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not all(a.is_global for a in addresses):
        raise UnsafeUrl(gettext("A webhook URL must point at a public address."))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body`` under the endpoint's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def envelope(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "type": event.name,
        "created_at": event.created_at.isoformat(),
        "site": event.site.slug,
        "data": event.payload,
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead anywhere, including inside our network: treat it as an answer.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST and return (status code, error text); the status is None when nothing came back."""
    check_url(url, resolve=True)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=settings.TOWNHALL_WEBHOOK_TIMEOUT) as response:
            response.read(65536)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, str(reason)[:500] or type(exc).__name__


def deliver_once(delivery_id: int) -> Attempt | None:
    """Make the next attempt of a pending delivery; return it (None if there was nothing to do).

    A 2xx answer ends the delivery; anything else schedules a retry after an
    exponential back-off, until ``TOWNHALL_WEBHOOK_ATTEMPTS`` attempts have failed.
    """
    delivery = (
        Delivery.objects.select_related("endpoint", "event__site")
        .filter(pk=delivery_id, state=DeliveryState.PENDING)
        .first()
    )
    if delivery is None:
        return None
    if not delivery.endpoint.active:
        # Disabled since the event: a newsroom that switched it off wants no more calls.
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED, next_attempt_at=None
        )
        return None
    # Claim this attempt: a duplicate message for the same delivery finds the count moved on.
    claimed = Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=None)
    if not claimed:
        return None
    number = delivery.attempts + 1
    endpoint, event = delivery.endpoint, delivery.event
    body = json.dumps(envelope(event), separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"townhall-webhooks/{__version__}",
        "X-Townhall-Event": event.name,
        "X-Townhall-Delivery": str(delivery.pk),
        "X-Townhall-Timestamp": timestamp,
        "X-Townhall-Signature": sign(endpoint.secret, timestamp, body),
    }
    started = timezone.now()
    clock = time.monotonic()
    try:
        status, error = _post(endpoint.url, body, headers)
    except UnsafeUrl as exc:
        status, error = None, str(exc)
    duration_ms = int((time.monotonic() - clock) * 1000)
    ok = status is not None and 200 <= status < 300
    next_retry_at = None
    if ok:
        state = DeliveryState.SUCCEEDED
    elif number >= settings.TOWNHALL_WEBHOOK_ATTEMPTS:
        state = DeliveryState.FAILED
    else:
        state = DeliveryState.PENDING
        _, backoff_ms = compute_backoff(
            number - 1,
            factor=max(1, settings.TOWNHALL_WEBHOOK_BACKOFF_MS),
            jitter=False,
            max_backoff=MAX_BACKOFF_MS,
        )
        next_retry_at = timezone.now() + timedelta(milliseconds=backoff_ms)
    attempt = Attempt.objects.create(
        delivery=delivery,
        number=number,
        started_at=started,
        status_code=status,
        error=error[:500],
        duration_ms=duration_ms,
        next_retry_at=next_retry_at,
    )
    Delivery.objects.filter(pk=delivery.pk).update(state=state, next_attempt_at=next_retry_at)
    if next_retry_at is not None:
        from townhall.webhooks import tasks

        background.send(tasks.deliver, delivery.pk, delay_ms=backoff_ms)
    return attempt
