"""CORS for the public read endpoints: a site's allowed origins may call them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from townhall.sites.models import Site
from townhall.sites.services import normalise_origin


def cors_allow_site_origins(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    """True when the request's Origin is an allowed origin of some site."""
    try:
        origin = normalise_origin(request.headers.get("Origin", ""))
    except ValueError:
        return False
    return any(
        origin in (allowed or [])
        for allowed in Site.objects.values_list("allowed_origins", flat=True)
    )
