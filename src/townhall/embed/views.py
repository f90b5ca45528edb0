"""The comment iframe, its htmx fragments, and the two loader scripts.

Views parse the query string, ask ``embed.services`` for a context and render;
posting, reacting and signing in go through the JSON API from the frame's JS.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog, JSONCatalog

from townhall.embed import services

_STATIC = Path(__file__).resolve().parent / "static" / "townhall"
_SCRIPTS = {"embed.js", "count.js"}
# Loader scripts sit on publishers' pages; a short lifetime lets fixes reach them fast.
_SCRIPT_MAX_AGE = 300


def _framed(response: HttpResponse, params: services.FrameParams | None) -> HttpResponse:
    response["Content-Security-Policy"] = services.content_security_policy(
        params.site if params else None
    )
    return response


@require_GET
@never_cache
@xframe_options_exempt  # framing is governed by CSP frame-ancestors, per site
def frame(request: HttpRequest) -> HttpResponse:
    """``GET /embed/?site=S&story=K&url=…&title=…&comment=ID&sort=…``: the whole iframe page."""
    try:
        params = services.parse_params(request)
    except Http404:
        return _framed(render(request, "embed/not_found.html", status=404), None)
    user = services.viewer(request)
    context = {
        **services.thread_context(params, user),
        **services.compose_context(params, user),
        "guidelines": params.site.guidelines,
        "reasons": services.report_reasons(params.site),
        "site": params.site,
    }
    return _framed(render(request, "embed/frame.html", context), params)


@require_GET
@never_cache
@xframe_options_exempt
def thread(request: HttpRequest) -> HttpResponse:
    """htmx fragment: the count and the threads, or (with ``cursor``) the next page."""
    params = services.parse_params(request)
    context = services.thread_context(params, services.viewer(request))
    template = "embed/_more.html" if params.cursor else "embed/_thread.html"
    return _framed(render(request, template, context), params)


@require_GET
@never_cache
@xframe_options_exempt
def compose(request: HttpRequest) -> HttpResponse:
    """htmx fragment: the comment box, or the sign-up and log-in forms."""
    params = services.parse_params(request)
    context = services.compose_context(params, services.viewer(request))
    return _framed(render(request, "embed/_compose.html", context), params)


# frame.js's strings in the reader's language (``?lang=``, as the frame was given).
# Short-lived for the same reason as the loader scripts: a deploy reaches readers fast.
catalog = cache_control(public=True, max_age=_SCRIPT_MAX_AGE)(
    JavaScriptCatalog.as_view(packages=["townhall.embed"])
)
_json_catalog = cache_control(public=True, max_age=_SCRIPT_MAX_AGE)(
    JSONCatalog.as_view(packages=["townhall.embed"])
)


def json_catalog(request: HttpRequest) -> HttpResponse:
    """The same strings as JSON, for count.js on publishers' pages (any origin)."""
    response = _json_catalog(request)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@lru_cache(maxsize=4)
def _read_script(name: str) -> bytes:
    return (_STATIC / name).read_bytes()


@require_GET
def script(request: HttpRequest, name: str) -> HttpResponse:
    """``/embed.js`` and ``/count.js`` at the root, where publishers are told to find them."""
    body = (_STATIC / name).read_bytes() if settings.DEBUG else _read_script(name)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={_SCRIPT_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response
