"""When the database itself fails: a clear 503 (or 507) instead of a 500 traceback.

A database that is restarting, unreachable, read-only or out of disk space is an
outage, not a bug in townhall: the request changed nothing, and the same request
will work once the database is back. Callers get the API's error shape with
``Retry-After``; commands print one line instead of a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from townhall.api.errors import error_response

log = logging.getLogger("townhall.database")

DATABASE_FAULTS = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Fault:
    status: int
    code: str
    message: str
    retry_after: int


def describe(exc: BaseException) -> Fault:
    """What a database error means for the caller, from the driver's message."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return Fault(
            503,
            "database_read_only",
            gettext("The database is read-only just now, so nothing was saved. Try again later."),
            60,
        )
    if "disk is full" in text or "no space left" in text or "could not extend file" in text:
        return Fault(
            507,
            "storage_full",
            gettext("The server has run out of disk space, so nothing was saved. Try again later."),
            60,
        )
    if "disk i/o error" in text or "could not write" in text:
        return Fault(
            503,
            "storage_error",
            gettext(
                "The server could not write to its disk, so nothing was saved. Try again later."
            ),
            60,
        )
    if "locked" in text:
        return Fault(
            503, "database_busy", gettext("The database is busy; try again in a few seconds."), 2
        )
    return Fault(
        503,
        "database_unavailable",
        gettext("The database cannot be reached just now; try again in a few seconds."),
        5,
    )


class DatabaseFaultMiddleware:
    """Answer a view's database outage with 503 JSON (pages: plain text) and log one line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DATABASE_FAULTS):
            return None
        fault = describe(exc)
        log.warning(
            "%s %s answered %d %s: %s",
            request.method,
            request.path,
            fault.status,
            fault.code,
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
        )
        headers = {"Retry-After": str(fault.retry_after)}
        if request.path.startswith("/api/"):
            return error_response(fault.status, fault.code, fault.message, headers)
        response = HttpResponse(fault.message, status=fault.status, content_type="text/plain")
        response["Retry-After"] = headers["Retry-After"]
        return response


def command_message(exc: BaseException) -> str:
    """The one line a command prints when the database fails under it."""
    fault = describe(exc)
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"townhall: {fault.message} ({fault.code}: {detail})"
