"""`townhall backup PATH` copies the live database while comments keep arriving."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

TOWNHALL = str(Path(sys.executable).with_name("townhall"))


@pytest.fixture
def live_env(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "TOWNHALL_DATA_DIR": str(tmp_path),
        "TOWNHALL_CACHE": "memory",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [TOWNHALL, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return env, tmp_path / "live.sqlite3"


# A writer in its own process, as a server worker would be: it posts comments
# through the posting service, each with its story's count in one transaction.
WRITER = """
import sys
import django
django.setup()
from townhall.comments.services import NewComment, post_comment
from townhall.moderation.types import ATTRIBUTES
from townhall.sites.models import Site
off = dict.fromkeys(ATTRIBUTES, 1.01)
site = Site.objects.create(slug="gazette", name="The Gazette", anonymous_posting=True,
                           hold_thresholds=off, reject_thresholds=off)
n = 0
while True:
    n += 1
    post_comment(NewComment(site=site, story_key=f"story-{n % 7}", body=f"Comment {n} " + "x" * 500,
                            user=None, client=f"writer-{n}"))
    print(n, flush=True)
"""


def test_a_backup_taken_while_a_writer_posts_is_whole_and_consistent(live_env, tmp_path):
    env, live = live_env
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER],
        env={**env, "DJANGO_SETTINGS_MODULE": "townhall.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in writer.stdout:
            if int(line) >= 100:
                break
        else:
            pytest.fail(writer.stderr.read())
        target = tmp_path / "copy.sqlite3"
        done = subprocess.run(
            [TOWNHALL, "backup", str(target)], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert "backed up" in done.stdout
        copy = sqlite3.connect(target)
        try:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            (comments,) = copy.execute(
                "SELECT count(*) FROM comments_comment WHERE status = 'published'"
            ).fetchone()
            (counted,) = copy.execute("SELECT sum(comment_count) FROM sites_story").fetchone()
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        finally:
            copy.close()
        # One moment of the database: every comment with its story's count, none half-written.
        assert comments == counted and comments >= 100
        # The writer was never held up for long: it goes on past the copy.
        for line in writer.stdout:
            if int(line) >= comments + 20:
                break
    finally:
        writer.kill()
        writer.wait()
    with sqlite3.connect(live) as db:
        assert db.execute("SELECT count(*) FROM comments_comment").fetchone()[0] >= comments + 20


def test_backup_refuses_to_overwrite_the_live_database(live_env):
    env, live = live_env
    done = subprocess.run(
        [TOWNHALL, "backup", str(live)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "live database itself" in done.stderr


def test_on_postgresql_backup_runs_pg_dump(tmp_path):
    import psycopg

    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    pg_url = os.environ.get("TOWNHALL_TEST_POSTGRES", "postgres://127.0.0.1:5432/test")
    try:
        if missing:
            raise RuntimeError(f"{' and '.join(missing)} not installed")
        admin = psycopg.connect(pg_url, autocommit=True, connect_timeout=3)
    except (psycopg.OperationalError, RuntimeError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL backup cannot be tested and CI=true forbids skipping: {exc}")
        pytest.skip(f"PostgreSQL backup cannot be tested here: {exc}")
    name = f"townhall_backup_{os.getpid()}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": pg_url.rsplit("/", 1)[0] + "/" + name,
        "TOWNHALL_DATA_DIR": str(tmp_path),
        "TOWNHALL_CACHE": "memory",
    }
    env.pop("REDIS_URL", None)
    target = tmp_path / "dump.pgc"
    try:
        for args in (["migrate", "-v0"], ["backup", str(target)]):
            done = subprocess.run(
                [TOWNHALL, *args], env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, done.stderr
        assert "pg_dump wrote" in done.stdout
        listing = subprocess.run(
            ["pg_restore", "--list", str(target)], capture_output=True, text=True, timeout=60
        )
        assert listing.returncode == 0 and "comments_comment" in listing.stdout
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
