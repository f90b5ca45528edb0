"""Who may open a dashboard page: the site's moderators and install admins.

Every dashboard view goes through ``site_page``; it resolves the site from the
URL, asks ``review.services.require_moderator`` and turns its ApiError into a
redirect to the sign-in page (anonymous) or a 403 page (anyone else).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from townhall.accounts.models import Membership, Role, User
from townhall.api.errors import ApiError
from townhall.review.services import require_moderator
from townhall.sites.models import Site

# Dashboard pages load scripts and styles from our own origin only, and are never framed.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)

View = Callable[..., HttpResponse]


def secure(response: HttpResponse) -> HttpResponse:
    """Add the dashboard's CSP and framing headers, and keep pages out of shared caches."""
    response["Content-Security-Policy"] = CSP
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "private, no-store"
    return response


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def login_redirect(request: HttpRequest) -> HttpResponse:
    """Send an anonymous visitor to sign in, and back here afterwards."""
    url = reverse("dashboard:login") + "?" + urlencode({"next": request.get_full_path()})
    if is_htmx(request):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    response = HttpResponse(status=302)
    response["Location"] = url
    return response


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return secure(render(request, "dashboard/forbidden.html", {"message": message}, status=403))


def moderated_sites(user: User) -> list[Site]:
    """The sites ``user`` may moderate: every site for an install admin."""
    if user.is_admin:
        return list(Site.objects.order_by("name"))
    site_ids = Membership.objects.filter(user=user, role=Role.MODERATOR).values("site_id")
    return list(Site.objects.filter(pk__in=site_ids).order_by("name"))


def site_page(view: View) -> View:
    """Decorate ``view(request, site, membership, **kwargs)`` for ``/dashboard/<site_slug>/…``."""

    @wraps(view)
    def wrapper(request: HttpRequest, site_slug: str, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return secure(login_redirect(request))
        site = get_object_or_404(Site, slug=site_slug)
        try:
            membership = require_moderator(request.user, site)  # type: ignore[arg-type]
        except ApiError as exc:
            if exc.status == 401:
                return secure(login_redirect(request))
            return forbidden(request, exc.message)
        return secure(view(request, site, membership, **kwargs))

    return wrapper
