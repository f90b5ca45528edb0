"""The demo newspaper's front page: one article with the townhall embed under it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from townhall.demo import data
from townhall.sites.models import Site

_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "frame-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)


@require_GET
def article(request: HttpRequest) -> HttpResponse:
    site = Site.objects.filter(slug=data.SLUG).first()
    context = {
        "site": site,
        "paper": data.NAME,
        "article": data.ARTICLE,
        # Always today's paper: the demo article never looks stale.
        "today": timezone.localdate(),
        "more": [s for s in data.MORE_STORIES if s.key != data.ARTICLE["key"]],
        "article_url": request.build_absolute_uri("/"),
    }
    response = render(request, "demo/article.html", context, status=200 if site else 503)
    response["Content-Security-Policy"] = _CSP
    return response
