"""Webhook endpoints of a site, for its moderators and install admins."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field, StrictBool

from townhall.api.auth import caller
from townhall.api.schemas import ObjectIn
from townhall.comments.services import get_site
from townhall.review.services import require_moderator
from townhall.sites.models import Site
from townhall.webhooks import services

router = Router(tags=["webhooks"])
PAGE = 50


class EndpointIn(Schema):
    url: str = Field(max_length=500)
    events: list[str] = Field(max_length=10)
    description: str = Field(default="", max_length=200)


class EndpointPatch(ObjectIn):
    url: str | None = Field(default=None, max_length=500)
    events: list[str] | None = Field(default=None, max_length=10)
    description: str | None = Field(default=None, max_length=200)
    active: StrictBool | None = None
    rotate_secret: StrictBool = False


def _site(request: HttpRequest, slug: str) -> Site:
    site = get_site(slug)
    require_moderator(caller(request), site)
    return site


@router.get("/sites/{slug}/webhooks")
def list_endpoints(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The site's endpoints, with their secrets (for checking signatures)."""
    site = _site(request, slug)
    rows = site.webhook_endpoints.order_by("pk")
    return {"endpoints": [services.endpoint_data(e, with_secret=True) for e in rows]}


@router.post("/sites/{slug}/webhooks", response={201: dict})
def create_endpoint(request: HttpRequest, slug: str, data: EndpointIn) -> Status[dict[str, Any]]:
    """Add an endpoint; the answer holds the secret its payloads are signed with."""
    site = _site(request, slug)
    endpoint = services.create_endpoint(site, data.url, data.events, data.description)
    return Status(201, services.endpoint_data(endpoint, with_secret=True))


@router.patch("/sites/{slug}/webhooks/{endpoint_id}")
def update_endpoint(
    request: HttpRequest, slug: str, endpoint_id: int, data: EndpointPatch
) -> dict[str, Any]:
    site = _site(request, slug)
    endpoint = services.update_endpoint(services.get_endpoint(site, endpoint_id), data.dict())
    return services.endpoint_data(endpoint, with_secret=True)


@router.delete("/sites/{slug}/webhooks/{endpoint_id}", response={204: None})
def delete_endpoint(request: HttpRequest, slug: str, endpoint_id: int) -> Status[None]:
    site = _site(request, slug)
    services.get_endpoint(site, endpoint_id).delete()
    return Status(204, None)


@router.get("/sites/{slug}/webhooks/{endpoint_id}/deliveries")
def list_deliveries(request: HttpRequest, slug: str, endpoint_id: int) -> dict[str, Any]:
    """The endpoint's latest deliveries, each with every attempt (newest first)."""
    site = _site(request, slug)
    endpoint = services.get_endpoint(site, endpoint_id)
    rows = services.deliveries(site, endpoint).prefetch_related("attempt_log")[:PAGE]
    return {"deliveries": [services.delivery_data(d) for d in rows]}
