"""CSRF for the JSON API: browser clients send X-CSRFToken; bearer-token clients need none."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from townhall.api.errors import error_response

_SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}


class ApiCsrfMiddleware(CsrfViewMiddleware):
    """Enforce Django's CSRF check on unsafe /api/ calls that carry no bearer token.

    django-ninja views are CSRF-exempt by design, so without this a session cookie
    alone would authorise a cross-site POST. The failure is our JSON error shape.
    """

    def process_view(self, request, callback, callback_args, callback_kwargs):  # type: ignore[no-untyped-def]
        if not request.path.startswith("/api/") or request.method in _SAFE:
            return None
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return None
        # Django skips views marked csrf_exempt, as ninja marks its own; handing the
        # check an unmarked stand-in makes it look at the request all the same.
        return super().process_view(request, _unexempt, callback_args, callback_kwargs)

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return error_response(
            403,
            "csrf_failed",
            f"CSRF check failed ({reason}). GET /api/v1/auth/csrf and send the token "
            "as X-CSRFToken, or authenticate with a bearer token.",
        )


def _unexempt(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError("placeholder view for the CSRF check")
