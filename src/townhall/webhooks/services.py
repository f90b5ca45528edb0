"""Managing a site's webhook endpoints, and reading their delivery log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext

from townhall.api.errors import ApiError
from townhall.sites.models import Site
from townhall.webhooks.delivery import UnsafeUrl, check_url
from townhall.webhooks.models import EVENT_NAMES, Attempt, Delivery, Endpoint

MAX_ENDPOINTS = 20


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise ApiError(
            422, "invalid_url", gettext("A webhook URL may have at most 500 characters.")
        )
    try:
        check_url(url, resolve=False)
    except UnsafeUrl as exc:
        raise ApiError(422, "invalid_url", str(exc)) from None
    return url


def _clean_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_NAMES))
    if unknown or not events:
        raise ApiError(
            422,
            "invalid_events",
            (
                gettext("Choose one or more of %(events)s (unknown: %(unknown)s).")
                if unknown
                else gettext("Choose one or more of %(events)s.")
            )
            % {"events": ", ".join(EVENT_NAMES), "unknown": ", ".join(unknown)},
        )
    return [name for name in EVENT_NAMES if name in events]


def create_endpoint(site: Site, url: str, events: list[str], description: str = "") -> Endpoint:
    """Add an endpoint with a new secret.

    Raises:
        ApiError: 422 bad URL or events, 409 too many endpoints on the site.
    """
    url, events = _clean_url(url), _clean_events(events)
    if Endpoint.objects.filter(site=site).count() >= MAX_ENDPOINTS:
        raise ApiError(
            409,
            "too_many_endpoints",
            gettext("A site may have %(count)d endpoints.") % {"count": MAX_ENDPOINTS},
        )
    return Endpoint.objects.create(
        site=site, url=url, events=events, description=(description or "")[:200]
    )


def get_endpoint(site: Site, endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.filter(site=site, pk=endpoint_id).first()
    if endpoint is None:
        raise ApiError(404, "endpoint_not_found", gettext("No such webhook endpoint on this site."))
    return endpoint


def update_endpoint(endpoint: Endpoint, changes: dict[str, Any]) -> Endpoint:
    """Apply the given fields (url, events, description, active, rotate_secret)."""
    if changes.get("url") is not None:
        endpoint.url = _clean_url(changes["url"])
    if changes.get("events") is not None:
        endpoint.events = _clean_events(changes["events"])
    if changes.get("description") is not None:
        endpoint.description = changes["description"][:200]
    if changes.get("active") is not None:
        endpoint.active = bool(changes["active"])
    if changes.get("rotate_secret"):
        from townhall.webhooks.models import new_secret

        endpoint.secret = new_secret()
    endpoint.save()
    return endpoint


def endpoint_data(endpoint: Endpoint, *, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "active": endpoint.active,
        "created_at": endpoint.created_at.isoformat(),
    }
    if with_secret:
        data["secret"] = endpoint.secret
    return data


def deliveries(site: Site, endpoint: Endpoint | None = None) -> QuerySet[Delivery]:
    """The site's deliveries, newest first, with endpoint and event (attempts: prefetch)."""
    rows = Delivery.objects.filter(endpoint__site=site)
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    return rows.select_related("endpoint", "event").order_by("-created_at", "-pk")


def attempt_data(a: Attempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "started_at": a.started_at.isoformat(),
        "status_code": a.status_code,
        "error": a.error,
        "duration_ms": a.duration_ms,
        "next_retry_at": a.next_retry_at.isoformat() if a.next_retry_at else None,
    }


def delivery_data(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "endpoint_id": d.endpoint_id,
        "event": {"id": d.event_id, "type": d.event.name},
        "state": d.state,
        "attempts": [attempt_data(a) for a in d.attempt_log.all()],
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "created_at": d.created_at.isoformat(),
    }


def requeue(delivery: Delivery) -> None:
    """Make a failed or waiting delivery due now; the caller queues it."""
    from django.utils import timezone

    delivery.state = "pending"
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["state", "next_attempt_at"])
