"""Which language a page speaks: the reader's pages follow them, and so do API error messages.

The embed passes ``lang`` (the publisher page's ``<html lang>``, read by embed.js);
without it, or for a language we do not ship, the browser's Accept-Language
decides, as Django's LocaleMiddleware does for the dashboard.

The API's error ``message`` is written in the caller's language too (``frame.js``
sends the frame's language as ``Accept-Language``), because the embed shows it to
readers; the ``code`` never changes. The cacheable reads (threads, counts) hold no
translated text, so only error responses say ``Vary: Accept-Language`` and the shared
cache is not split by language. (A tip's thank-you, the answer to a POST, is translated.)
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

_API = "/api/"
_ENGLISH_ONLY = ("/metrics",)


def requested_language(raw: str) -> str | None:
    """The shipped language closest to ``raw`` (``es-MX`` → ``es``), or None."""
    code = raw.strip().replace("_", "-").lower()[:20]
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class LanguageMiddleware(LocaleMiddleware):
    """LocaleMiddleware that also honours ``?lang=`` and keeps API bodies cacheable."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(_ENGLISH_ONLY):
            translation.activate(settings.LANGUAGE_CODE)
        else:
            language = requested_language(request.GET.get("lang", ""))
            translation.activate(language or translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path_info.startswith(_ENGLISH_ONLY):
            return response
        if request.path_info.startswith(_API):
            if response.status_code >= 400:
                patch_vary_headers(response, ("Accept-Language",))
            return response
        return super().process_response(request, response)
