"""What every dashboard page shows around its content: the site, its queues, the nav."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from townhall.accounts.models import Membership
from townhall.api.errors import ApiError
from townhall.dashboard.access import is_htmx, moderated_sites
from townhall.review.services import QUEUES, queue_counts
from townhall.sites.models import Site

QUEUE_LABELS = {
    "pending": gettext_lazy("Pending"),
    "reported": gettext_lazy("Reported"),
    "rejected": gettext_lazy("Rejected"),
    "approved": gettext_lazy("Approved"),
    "featured": gettext_lazy("Featured"),
}


def chrome(
    request: HttpRequest,
    site: Site,
    membership: Membership | None,
    section: str,
    counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Context for ``dashboard/base.html``: two queries (sites, counts) unless counts are given."""
    counts = counts if counts is not None else queue_counts(site)
    return {
        "site": site,
        "sites": moderated_sites(request.user),  # type: ignore[arg-type]
        "membership": membership,
        "section": section,
        "queues": [(q, QUEUE_LABELS[q], counts.get(q, 0)) for q in QUEUES],
    }


def error_response(request: HttpRequest, exc: ApiError) -> HttpResponse:
    """An ApiError as the dashboard answers it: plain text for htmx, a page otherwise."""
    if is_htmx(request):
        response = HttpResponse(exc.message, status=exc.status, content_type="text/plain")
        return response
    return render(
        request,
        "dashboard/error.html",
        {"message": exc.message, "status": exc.status},
        status=exc.status,
    )


def toast(response: HttpResponse, message: str, **events: Any) -> HttpResponse:
    """Ask the page (through htmx's HX-Trigger) to announce ``message`` and fire ``events``."""
    response["HX-Trigger"] = json.dumps({"dash:toast": message, **events})
    return response
