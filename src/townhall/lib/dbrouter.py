"""Reads from PostgreSQL read replicas, writes to the primary (``TOWNHALL_REPLICA_URLS``).

A replica lags the primary by a little, so a reader who has just written must not
be sent to one: they would not find their own comment, or their new session.
Three rules keep every caller's own writes visible to them:

* only the reads of an HTTP request go to a replica; commands, background jobs and
  anything else outside a request read the primary;
* once a request has written, its later reads go to the primary, and so does
  everything inside a transaction;
* a response to a request that wrote carries a short-lived cookie, and requests
  bearing it read the primary for ``TOWNHALL_REPLICA_STICKY_SECONDS``, longer than
  replication lag on a healthy cluster.

Without replicas configured the router is not installed and nothing changes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA_PREFIX = "replica"
COOKIE = "townhall_primary"


@dataclass
class _RequestState:
    pinned: bool  # the caller wrote moments ago (the cookie)
    wrote: bool = False


_state: ContextVar[_RequestState | None] = ContextVar("townhall_db_request", default=None)


def replica_aliases() -> list[str]:
    """The database aliases of the configured replicas, in order."""
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


class ReplicaRouter:
    """Django database router: see the module docstring for where each query goes."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        state = _state.get()
        if state is None or state.pinned or state.wrote:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        replicas = replica_aliases()
        return random.choice(replicas) if replicas else PRIMARY  # noqa: S311 - load spreading

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        state = _state.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # every alias holds the same data

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # replicas follow the primary's schema by replication


class PrimaryAfterWriteMiddleware:
    """Scope the router to one request, and pin a caller who wrote to the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not replica_aliases():
            raise MiddlewareNotUsed  # one database: nothing to route, no cookie to set
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = _RequestState(pinned=COOKIE in request.COOKIES)
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        if state.wrote:
            response.set_cookie(
                COOKIE,
                "1",
                max_age=settings.TOWNHALL_REPLICA_STICKY_SECONDS,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response
