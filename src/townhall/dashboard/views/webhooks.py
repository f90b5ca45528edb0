"""Webhooks in the dashboard: the site's endpoints and the log of every delivery attempt."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from townhall.accounts.models import Membership
from townhall.api.errors import ApiError
from townhall.dashboard.access import is_htmx, site_page
from townhall.dashboard.views.common import chrome, error_response, toast
from townhall.lib import background
from townhall.sites.models import Site
from townhall.webhooks import services, tasks
from townhall.webhooks.models import EVENT_NAMES, DeliveryState

LOG_PAGE = 30


@require_http_methods(["GET", "POST"])
@site_page
def webhooks_page(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """Endpoints (add one with POST) and the delivery log, filtered by state and endpoint."""
    error, status = "", 200
    if request.method == "POST":
        try:
            services.create_endpoint(
                site,
                request.POST.get("url", ""),
                request.POST.getlist("events"),
                request.POST.get("description", ""),
            )
        except ApiError as exc:
            error, status = exc.message, exc.status
        else:
            return HttpResponseRedirect(reverse("dashboard:webhooks", args=[site.slug]))
    state = request.GET.get("state", "")
    state = state if state in DeliveryState.values else ""
    rows = services.deliveries(site).prefetch_related("attempt_log")
    if state:
        rows = rows.filter(state=state)
    context = {
        **chrome(request, site, membership, "webhooks"),
        "endpoints": site.webhook_endpoints.order_by("pk"),
        "event_names": EVENT_NAMES,
        "page": Paginator(rows, LOG_PAGE).get_page(request.GET.get("page")),
        "state": state,
        "states": DeliveryState.choices,
        "error": error,
        "posted": request.POST if error else None,
    }
    return render(request, "dashboard/webhooks.html", context, status=status)


@require_POST
@site_page
def endpoint_action(
    request: HttpRequest, site: Site, membership: Membership | None, endpoint_id: int, action: str
) -> HttpResponse:
    """``enable``, ``disable`` or ``delete`` an endpoint."""
    try:
        endpoint = services.get_endpoint(site, endpoint_id)
        if action == "delete":
            endpoint.delete()
        elif action in ("enable", "disable"):
            services.update_endpoint(endpoint, {"active": action == "enable"})
        else:
            raise ApiError(404, "unknown_action", gettext("No such action."))
    except ApiError as exc:
        return error_response(request, exc)
    return HttpResponseRedirect(reverse("dashboard:webhooks", args=[site.slug]))


@require_POST
@site_page
def retry_delivery(
    request: HttpRequest, site: Site, membership: Membership | None, delivery_id: int
) -> HttpResponse:
    """Send a failed or waiting delivery again now."""
    delivery = services.deliveries(site).filter(pk=delivery_id).first()
    if delivery is None:
        return error_response(
            request, ApiError(404, "delivery_not_found", gettext("No such delivery."))
        )
    services.requeue(delivery)
    background.send(tasks.deliver, delivery.pk)
    if not is_htmx(request):
        return HttpResponseRedirect(reverse("dashboard:webhooks", args=[site.slug]))
    response = render(
        request, "dashboard/_partials/delivery.html", {"site": site, "delivery": delivery}
    )
    return toast(response, gettext("Delivery queued again."))
