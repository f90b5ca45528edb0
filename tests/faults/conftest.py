"""Fixtures for the fault tests: private PostgreSQL and Redis servers they may break,
and migrated databases to copy (migrating costs seconds each time on a busy machine)."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest

from tests.faults.app import Install
from tests.faults.services import IN_CI, Postgres, Redis, Unavailable

_names = itertools.count()


def _unavailable(what: str, exc: Exception) -> None:
    if IN_CI:
        pytest.fail(f"{what} is needed for the fault tests and CI=true forbids skipping: {exc}")
    pytest.skip(f"{what} is not available: {exc}")


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster of our own, started once for the session."""
    try:
        server = Postgres()
        server.init()
        server.start()
    except (Unavailable, OSError) as exc:
        _unavailable("A private PostgreSQL server", exc)
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def _postgres_template(postgres, tmp_path_factory) -> str:
    url = postgres.create_database("townhall_template")
    Install(tmp_path_factory.mktemp("pg-template"), url).must("migrate", "-v0")
    return "townhall_template"


@pytest.fixture
def postgres_url(postgres, _postgres_template) -> str:
    """A new, migrated PostgreSQL database on the private server."""
    return postgres.create_database(
        f"faults_{os.getpid()}_{next(_names)}", template=_postgres_template
    )


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    Install(folder, f"sqlite:///{folder / 'db.sqlite3'}").must("migrate", "-v0")
    return folder / "db.sqlite3"


@pytest.fixture
def sqlite_url(tmp_path, _sqlite_template) -> str:
    """A new, migrated SQLite database in the test's own directory."""
    target = tmp_path / "db" / "db.sqlite3"
    target.parent.mkdir()
    shutil.copyfile(_sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def redis_server():
    """A redis-server of our own for one test, which the test may stop or freeze."""
    try:
        server = Redis()
        server.start()
    except (Unavailable, OSError, RuntimeError) as exc:
        _unavailable("A private redis-server", exc)
    yield server
    server.destroy()
