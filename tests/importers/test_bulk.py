"""Imports saved in bulk: a killed run resumes with every record once, counts and
authors' records are right at once, a record the bulk path cannot take (or with
a date no database can store) still leaves the rest of its batch in, and old
comments announce nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password

from tests.importers.helpers import (
    assert_counts_exact,
    fixture_file,
    imported,
    run_import,
    synthetic_disqus,
)
from townhall.accounts.models import Membership, User
from townhall.comments.models import Comment, Status
from townhall.live import events as live_events
from townhall.review.policy import author_record
from townhall.sites.models import Story
from townhall.webhooks.models import Endpoint, Event

TOWNHALL = str(Path(sys.executable).with_name("townhall"))


def _count(db: Path, sql: str) -> int:
    """One number from the database another process is writing; retried while locked."""
    for _ in range(50):
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            time.sleep(0.1)
    raise AssertionError(f"could not read {db}")


def test_an_import_killed_midway_resumes_with_every_record_once(tmp_path):
    db = tmp_path / "kill.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "TOWNHALL_DATA_DIR": str(tmp_path / "var"),
        "TOWNHALL_CACHE": "memory",
    }
    env.pop("REDIS_URL", None)
    for cmd in (["migrate", "-v0"], ["createsite", "gazette", "--name", "The Gazette"]):
        done = subprocess.run([TOWNHALL, *cmd], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    export = tmp_path / "big.xml"
    posts = 3000
    parents = synthetic_disqus(export, posts)
    command = [TOWNHALL, "import", "disqus", str(export), "--site", "gazette", "-v0"]

    # Small batches, so the kill lands between many commits and likely inside one.
    run = subprocess.Popen([*command, "--batch", "7"], env=env, stdout=subprocess.DEVNULL)
    saved_sql = "SELECT COUNT(*) FROM importers_importedrecord WHERE kind = 'comment'"
    deadline = time.monotonic() + 300
    while _count(db, saved_sql) < 300:
        assert run.poll() is None, "the import finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.wait()
    at_kill = _count(db, saved_sql)
    assert 300 <= at_kill < posts
    # What was committed is whole: no comment without its import record.
    assert _count(db, "SELECT COUNT(*) FROM comments_comment") == at_kill

    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"imported {posts - at_kill} comments")

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM comments_comment").fetchone()[0] == posts
        ids = dict(
            conn.execute(
                "SELECT source_id, comment_id FROM importers_importedrecord WHERE kind = 'comment'"
            ).fetchall()
        )
        assert len(ids) == posts and len(set(ids.values())) == posts
        parent_of = dict(conn.execute("SELECT id, parent_id FROM comments_comment").fetchall())
        for source_id, parent in parents.items():
            assert parent_of[ids[source_id]] == (ids[parent] if parent else None), source_id
        wrong = conn.execute(
            "SELECT s.key FROM sites_story s WHERE s.comment_count != (SELECT COUNT(*) "
            "FROM comments_comment c WHERE c.story_id = s.id AND c.status = 'published')"
        ).fetchall()
        assert wrong == []
        # 97 named readers, each one account and one membership however often they wrote.
        assert conn.execute("SELECT COUNT(*) FROM accounts_user").fetchone()[0] == 97
        assert conn.execute("SELECT COUNT(*) FROM accounts_membership").fetchone()[0] == 97
    finally:
        conn.close()


@pytest.mark.django_db
def test_an_existing_reader_keeps_their_account_and_their_record_adds_up(gazette, tmp_path):
    user = User.objects.create_user(email="Marta@Example.org")
    marta = Membership.objects.create(user=user, site=gazette, display_name="Marta Q")
    # Her record is asked for (and cached) before the import, as a post would.
    assert author_record(marta) == (0, 0)

    out = run_import("disqus", fixture_file("disqus", tmp_path))

    c = imported("disqus")
    assert c["8001"].author == marta and c["8005"].author == marta
    assert Membership.objects.get(pk=marta.pk).display_name == "Marta Q"
    # Olu, the reader behind "Admin" and the spam seller are new; Marta is not.
    assert out.startswith("imported 6 comments, 3 new authors, 2 new stories")
    assert author_record(marta) == (1, 0)  # 8001 published; 8005 was deleted
    seller = c["8004"].author
    assert author_record(seller) == (0, 1)
    assert_counts_exact()


@pytest.mark.django_db
def test_a_record_the_bulk_path_cannot_save_leaves_the_rest_of_its_batch_in(gazette, tmp_path):
    # Every name an imported "Marta Quay" could get is taken on the site already.
    users = User.objects.bulk_create(
        User(email=f"taken{n}@example.org", password=make_password(None)) for n in range(1000)
    )
    Membership.objects.bulk_create(
        Membership(
            user=u,
            site=gazette,
            display_name=name,
            display_name_key=name.lower(),
        )
        for n, u in enumerate(users)
        for name in ["Marta Quay" if n == 0 else f"Marta Quay {n + 1}"]
    )

    out = run_import("disqus", fixture_file("disqus", tmp_path))

    c = imported("disqus")
    for source_id in ("8001", "8004", "8005"):  # the two Marta Quays' comments
        assert source_id not in c
        assert f"skipped {source_id}: could not be saved: Could not find a free display" in out
    # The rest of the batch came in, threads intact as far as they can be.
    assert set(c) == {"8002", "8003", "8006"}
    assert c["8003"].parent == c["8002"]
    assert c["8002"].parent is None  # its parent 8001 could not be saved
    assert c["8006"].parent is None
    assert_counts_exact()


@pytest.mark.django_db
def test_old_comments_come_in_silently(gazette, tmp_path):
    Endpoint.objects.create(site=gazette, url="https://hooks.example/in", events=[])
    run_import("disqus", fixture_file("disqus", tmp_path))
    assert Comment.objects.filter(status=Status.PUBLISHED).exists()
    # No webhook events (so no deliveries or reply notifications) and no live
    # updates: these are years-old comments, not new activity.
    assert not Event.objects.exists()
    for story in Story.objects.all():
        assert live_events.read_log(live_events.topic(gazette.pk, story.key)) == []


@pytest.mark.django_db
def test_a_batch_costs_a_few_queries_not_a_few_per_comment(
    gazette, tmp_path, django_assert_max_num_queries
):
    export = tmp_path / "batch.xml"
    synthetic_disqus(export, 400)
    # 400 comments, 40 stories and 97 people in one batch: saved one by one, that
    # is thousands of queries; in bulk, a few dozen (inserts go in slices).
    with django_assert_max_num_queries(60):
        out = run_import("disqus", export, "--batch", "500")
    assert out.startswith("imported 400 comments, 97 new authors, 40 new stories")
    assert_counts_exact()


@pytest.mark.django_db
def test_a_date_with_no_utc_equivalent_skips_its_record_only(gazette, tmp_path):
    text = fixture_file("disqus", tmp_path).read_text()
    # Year 1 at UTC+5 would be in year 0 in UTC, which no database can store.
    odd = text.replace(
        "<createdAt>2019-04-02T03:00:00Z</createdAt>",
        "<createdAt>0001-01-01T00:00:00+05:00</createdAt>",
    )
    assert odd != text
    path = tmp_path / "odd.xml"
    path.write_text(odd)
    out = run_import("disqus", path)
    assert "skipped 8004: date out of range '0001-01-01T00:00:00+05:00'" in out
    assert set(imported("disqus")) == {"8001", "8002", "8003", "8005", "8006"}
    assert_counts_exact()
