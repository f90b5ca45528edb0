"""Partitioned (CHIPS) cookies for the embed when it is a third-party iframe."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PartitionedCookieMiddleware:
    """Add ``Partitioned`` to every ``SameSite=None; Secure`` cookie we set.

    Browsers that block third-party cookies still keep partitioned ones, so a reader
    signed in inside the iframe stays signed in on that publisher's pages. Django 5.2
    cannot set the attribute itself, so it is appended to the SameSite value.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.SECURE_COOKIES:
            for morsel in response.cookies.values():
                if morsel["samesite"].lower() == "none" and morsel["secure"]:
                    morsel["samesite"] = "None; Partitioned"
        return response
