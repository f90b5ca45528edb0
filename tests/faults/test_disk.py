"""A read-only database file and a full disk: clear errors, then no damage.

Both faults are made for real. Tests usually run as root, which ignores file
permissions, so the server runs as root without the capabilities that let it
(CAP_DAC_OVERRIDE and friends, dropped with setpriv): SQLite meets a file it may
not write exactly as it would on a read-only mount. The full disk is a file-size
limit (RLIMIT_FSIZE, ``ulimit -f``) on the server process: writes past it fail
with EFBIG, as they would with ENOSPC on a full file system.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.faults.app import SITE, Install, Outcome, post_comment, posters

# Keep the privileges to bind, kill and so on; lose only those that bypass file modes.
WITHOUT_OVERRIDES = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search,-fowner",
    "--bounding-set=-dac_override,-dac_read_search,-fowner",
    "--",
]


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _set_mode(folder: Path, files: int, directory: int) -> None:
    for item in folder.iterdir():
        item.chmod(files)
    folder.chmod(directory)


@pytest.fixture
def unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []  # an ordinary user already meets file modes
    if shutil.which("setpriv") is None:
        pytest.fail("setpriv (util-linux) is needed to drop root's file-mode override")
    return WITHOUT_OVERRIDES


def test_a_read_only_database_is_a_clear_503_and_recovers(sqlite_url, tmp_path, unprivileged):
    install = Install(tmp_path, sqlite_url)
    [token] = install.prepare(people=1)
    db = _sqlite_path(sqlite_url)
    server = install.serve(workers=2, prefix=unprivileged)
    outcome = Outcome()
    refused: list[str] = []
    try:
        with httpx.Client(timeout=30) as client:
            for i in range(3):
                body = f"Before the database went read-only, {i}."
                outcome.record(post_comment(client, server.api, token, body), body)
            # As on a read-only mount: the database and the file cache beside it.
            _set_mode(db.parent, 0o444, 0o555)
            _set_mode(tmp_path / "cache", 0o444, 0o555)
            try:
                for i in range(3):
                    body = f"While the database is read-only, {i}."
                    response = post_comment(client, server.api, token, body)
                    outcome.record(response, body)
                    refused.append(body)
                    assert response.status_code == 503, response.text
                    error = response.json()["error"]
                    assert error["code"] == "database_read_only" and "read-only" in error["message"]
                    assert response.headers["Retry-After"]
                # Reading may work or not (that is SQLite's call), but never a 500.
                for story in ("s1", "never-read-before"):
                    read = client.get(
                        server.api + "/comments", params={"site": SITE, "story": story}
                    )
                    outcome.record(read)
                    assert read.status_code in (200, 503), read.text
                command = install.run("createsite", "other", "--name", "Other", prefix=unprivileged)
                assert command.returncode != 0
                assert "read-only" in command.stderr and "Traceback" not in command.stderr
                assert len(command.stderr.strip().splitlines()) == 1, command.stderr
            finally:
                _set_mode(db.parent, 0o644, 0o755)
                _set_mode(tmp_path / "cache", 0o600, 0o700)
            # Writable again: the same server takes posts within seconds, no restart
            # needed (a worker may answer one more 503 while SQLite reopens the file).
            body = "After the database is writable again."
            for _ in range(20):
                response = post_comment(client, server.api, token, body)
                outcome.record(response, body)
                if response.status_code == 201:
                    break
                time.sleep(0.5)
            assert response.status_code == 201, response.text
    finally:
        server.stop()
    assert all(f.status == 503 and f.error() for f in outcome.failures)
    assert _integrity(db) == "ok"
    stored = install.stored_comments()
    assert all(stored.get(i) == body for i, body in outcome.acknowledged.items())
    assert len(outcome.acknowledged) == 4
    assert not set(refused) & set(stored.values()), "a refused comment was stored"


def _pad(db: Path, size: int) -> None:
    """Grow the database file to about ``size`` bytes, as years of comments would."""
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE fault_padding (blob BLOB)")
        conn.execute("INSERT INTO fault_padding VALUES (zeroblob(?))", [size - db.stat().st_size])
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_a_full_disk_is_a_clear_error_and_loses_nothing_acknowledged(sqlite_url, tmp_path):
    install = Install(tmp_path, sqlite_url)
    tokens = install.prepare(people=2)
    db = _sqlite_path(sqlite_url)
    # Above the 1 MiB each worker's metrics file takes, a little above the database.
    _pad(db, 1200 * 1024)
    limit = db.stat().st_size + 96 * 1024

    def full_disk() -> None:
        # The soft limit only, so that it can be lifted again from outside.
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    server = install.serve(workers=2, preexec=full_disk)
    outcome, stop = Outcome(), threading.Event()
    threads = posters(server.api, tokens, stop, outcome, threads=6, tag="x" * 1500)
    try:
        deadline = time.monotonic() + 90
        while not outcome.failures and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # a few more posts against the full disk
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    try:
        assert outcome.failures, f"{len(outcome.acknowledged)} posts and the disk never filled"
        for failure in outcome.failures:
            assert failure.status in (503, 507), failure
            assert failure.error()["code"] in ("storage_full", "storage_error"), failure
            assert failure.retry_after, failure
        assert set(outcome.statuses) <= {201, 503, 507}
        assert server.proc.poll() is None, "the server died of the full disk"
        command = install.run("createsite", "other", "--name", "Other", preexec=full_disk)
        assert "Traceback" not in command.stderr, command.stderr

        # Space again, for the running server: it takes posts with no restart.
        for pid in _process_group(server.proc.pid):
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
        with httpx.Client(timeout=30) as client:
            for i in range(4):  # reaching both workers, most likely
                body = f"Room again, {i}."
                response = post_comment(client, server.api, tokens[0], body)
                assert response.status_code == 201, response.text
                outcome.record(response, body)
    finally:
        server.stop()
    assert _integrity(db) == "ok"
    stored = install.stored_comments()
    lost = [i for i, body in outcome.acknowledged.items() if stored.get(i) != body]
    assert not lost, f"{len(lost)} of {len(outcome.acknowledged)} acknowledged comments lost"


def _process_group(pgid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                found.append(int(entry))
    return found
