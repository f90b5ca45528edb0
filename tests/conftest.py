"""Shared fixtures. People: alice and bob comment on the Gazette, mallory is a
moderator there, charlie belongs to another site."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests.factories import MembershipFactory, SiteFactory
from townhall.accounts.models import ApiToken, Membership, Role
from townhall.moderation.types import ATTRIBUTES

IN_CI = os.environ.get("CI", "").lower() in ("1", "true")


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"townhall: database={engine} redis={'yes' if settings.REDIS_URL else 'no'} CI={IN_CI}"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Stop this process's background threads before any fixture is torn down.

    On PostgreSQL the in-process worker starts with a test's first queued message
    (on SQLite's in-memory database only the ``worker`` fixture starts it) and would
    go on working through the teardown: a task's transaction and pytest-django's
    TRUNCATE of every table then deadlock, the flush fails, and the next test finds
    the last one's rows. What is still queued names rows that are about to go.
    """
    import dramatiq
    from django.conf import settings

    from townhall.lib import background

    background.stop_inprocess_worker()
    if settings.TOWNHALL_BACKGROUND == "inprocess":
        dramatiq.get_broker().flush_all()


@pytest.fixture(autouse=True)
def _fresh_cache(settings) -> None:
    # Rate-limit and duplicate counters live in the cache; each test starts clean,
    # and only the tests about posting limits meet the production rate.
    cache.clear()
    settings.TOWNHALL_POST_RATE = 1000
    # Argon2 is deliberately slow; tests that are not about hashing use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request through the test client activates the reader's language in this
    # thread and leaves it there, as a server's next request would replace it; a
    # test that follows must not inherit Spanish from one that asked for it.
    translation.deactivate()
    yield
    translation.deactivate()


class Api:
    """A JSON client for one caller: ``api.post("/comments", {...})`` → (status, body)."""

    def __init__(self, client: Client, token: str | None = None) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data: Any = None, **query: Any) -> tuple[int, Any]:
        url = "/api/v1" + path
        fn = getattr(self.client, method)
        if method == "get":
            response = fn(url, query, **self.headers)
        else:
            body = data if isinstance(data, (str, bytes)) else json.dumps(data or {})
            response = fn(url, body, content_type="application/json", **self.headers)
        payload = json.loads(response.content) if response.content else None
        return response.status_code, payload

    def get(self, path: str, **query: Any) -> tuple[int, Any]:
        return self._call("get", path, **query)

    def post(self, path: str, data: Any = None) -> tuple[int, Any]:
        return self._call("post", path, data)

    def patch(self, path: str, data: Any = None) -> tuple[int, Any]:
        return self._call("patch", path, data)

    def delete(self, path: str) -> tuple[int, Any]:
        return self._call("delete", path)


# The Gazette runs with the classifier's thresholds out of reach, so tests of
# threads, accounts and the newsroom do not hinge on a model's scores for their
# made-up texts. Tests of judgements give it the default policy back.
CLASSIFIER_OFF = dict.fromkeys(ATTRIBUTES, 1.01)
# The same, for a server in a subprocess: `townhall shell -c CLASSIFIER_OFF_SCRIPT`.
CLASSIFIER_OFF_SCRIPT = (
    "from townhall.moderation.types import ATTRIBUTES; from townhall.sites.models import Site; "
    "off = dict.fromkeys(ATTRIBUTES, 1.01); "
    "Site.objects.update(hold_thresholds=off, reject_thresholds=off)"
)


@pytest.fixture
def gazette(db):
    return SiteFactory(
        slug="gazette",
        name="The Gazette",
        allowed_origins=["https://gazette.example"],
        hold_thresholds=CLASSIFIER_OFF,
        reject_thresholds=CLASSIFIER_OFF,
    )


@pytest.fixture
def herald(db):
    return SiteFactory(slug="herald", name="The Herald", allowed_origins=["https://herald.example"])


def _member(site, name: str, role: str = Role.COMMENTER) -> Membership:
    from datetime import timedelta

    from django.utils import timezone

    # The named people have been readers for a season, not minutes.
    return MembershipFactory(
        user__date_joined=timezone.now() - timedelta(days=90),
        site=site,
        display_name=name,
        role=role,
        user__email=f"{name.lower()}@example.org",
    )


@pytest.fixture
def alice(gazette) -> Membership:
    return _member(gazette, "Alice")


@pytest.fixture
def bob(gazette) -> Membership:
    return _member(gazette, "Bob")


@pytest.fixture
def mallory(gazette) -> Membership:
    return _member(gazette, "Mallory", Role.MODERATOR)


@pytest.fixture
def charlie(herald) -> Membership:
    return _member(herald, "Charlie")


def _api_for(member: Membership | None) -> Api:
    if member is None:
        return Api(Client())
    _, raw = ApiToken.issue(member.user)
    return Api(Client(), raw)


@pytest.fixture
def as_alice(alice) -> Api:
    return _api_for(alice)


@pytest.fixture
def as_bob(bob) -> Api:
    return _api_for(bob)


@pytest.fixture
def as_charlie(charlie) -> Api:
    return _api_for(charlie)


@pytest.fixture
def anon(db) -> Api:
    return Api(Client())


@pytest.fixture
def api_for():
    return _api_for


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """Hand PostgreSQL's pooled connections back before the test database is dropped."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all():
            close_pool = getattr(conn, "close_pool", None)
            if close_pool is not None:
                close_pool()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test file. Playwright's sync API allows one instance
    per thread at a time, and while one is open Django refuses ORM calls in that
    thread, so an instance must not outlive the file that needs it."""
    from tests.chromium import chromium

    with chromium() as b:
        yield b
