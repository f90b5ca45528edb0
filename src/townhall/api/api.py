"""The NinjaAPI instance: routers mounted, errors in one shape."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from townhall import __version__
from townhall.accounts.api import router as accounts_router
from townhall.api.errors import ApiError, error_response
from townhall.comments.api import router as comments_router
from townhall.notifications.api import router as notifications_router
from townhall.review.api import router as review_router
from townhall.webhooks.api import router as webhooks_router


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL: drop it from every string, as comment bodies always did."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


class JsonParser(Parser):
    """JSON bodies, refusing a lone surrogate escape ("\\ud800"): no database stores one.
    NUL characters are dropped from bodies and query parameters alike."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        json.dumps(data, ensure_ascii=False).encode()  # UnicodeEncodeError -> ninja's 400
        return _without_nul(data)

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        return _without_nul(super().parse_querydict(data, list_fields, request))


api = NinjaAPI(
    title="townhall",
    version=__version__,
    urls_namespace="api-v1",
    parser=JsonParser(),
    description="The comment section under a news article, with moderation that cites its "
    'guideline. Errors are {"error": {"code", "message"}}.',
)
api.add_router("", comments_router)
api.add_router("", accounts_router)
api.add_router("", review_router)
api.add_router("", webhooks_router)
api.add_router("", notifications_router)


@api.get("/health", tags=["operations"])
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    parts = []
    for err in exc.errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "data", "query"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    response = error_response(422, "invalid_request", "; ".join(parts) or "Invalid request.")
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "malformed_json" if exc.status_code == 400 else "http_error"
    return error_response(exc.status_code, code, str(exc))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "not_authenticated", gettext("Log in first."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", gettext("Not found."))


@api.exception_handler(RawPostDataException)
def on_form_body(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    # A multipart body was read as a form (by the CSRF check) before ninja could read it.
    return error_response(
        415, "unsupported_media_type", gettext("Send the body as application/json.")
    )


@api.exception_handler(OverflowError)
def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # An id past 64 bits reaches SQLite through foreign-key lookups (user_id=...).
    return error_response(422, "out_of_range", gettext("A number in the request is out of range."))
