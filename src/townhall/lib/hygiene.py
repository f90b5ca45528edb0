"""Refuse a NUL character in a page's address before it can reach the database.

PostgreSQL text cannot hold NUL, so a ``?story=a%00b`` would surface as a server
error deep in a query. The JSON API drops NUL in its own parser; pages answer 400.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            raw = request.META.get("QUERY_STRING", "")
            if "\x00" in request.path or "\x00" in unquote(raw) or "%00" in raw.lower():
                return HttpResponseBadRequest(
                    "The address contains a NUL character.", content_type="text/plain"
                )
        return self.get_response(request)
