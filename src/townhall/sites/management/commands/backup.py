"""``townhall backup PATH``: a consistent copy of the live database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump, a fixed program with no shell
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the SQLite database at ``source`` to ``target`` while others keep writing.

    SQLite's online backup copies every page inside one read transaction, so the
    copy is the database as of one commit; writers in WAL mode are not blocked.
    The copy is written beside ``target`` and renamed into place, so a failed
    backup never leaves a half-written file under its name. Returns its size.

    Raises:
        CommandError: when the copy fails SQLite's integrity check.
    """
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # pages=-1: all at once. Copying in steps would restart after every commit
        # of a busy server and might never finish.
        src.backup(dst, pages=-1)
        # A backup that later restores without the WAL it was made under is
        # simpler to move around as one file.
        dst.execute("PRAGMA journal_mode=DELETE")
        (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
    finally:
        dst.close()
        src.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise CommandError(f"the copy failed SQLite's integrity check: {verdict}")
    os.replace(partial, target)
    return target.stat().st_size


def backup_postgres(db: dict[str, Any], target: Path) -> None:
    """Run ``pg_dump`` (custom format, for ``pg_restore``) into ``target``.

    Raises:
        CommandError: when pg_dump is not installed or fails.
    """
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise CommandError(
            "This install uses PostgreSQL: back it up with pg_dump "
            "(pg_dump --format=custom --file PATH DBNAME); pg_dump is not on PATH here."
        )
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [pg_dump, "--format=custom", "--file", str(target), "--dbname", str(db["NAME"])],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise CommandError(f"pg_dump failed: {done.stderr.strip()}")


class Command(BaseCommand):
    help = "Copy the live database to PATH consistently while townhall keeps running."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Where to write the copy (replaced if it exists)")

    def handle(self, *args: Any, **opts: Any) -> None:
        db = settings.DATABASES["default"]
        target = Path(opts["path"]).resolve()
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a directory")
        started = time.monotonic()
        if db["ENGINE"].endswith("sqlite3"):
            source = Path(db["NAME"]).resolve()
            if target == source:
                raise CommandError("PATH is the live database itself; choose another file")
            if not source.exists():
                raise CommandError(f"no database at {source}; run `townhall migrate` first")
            size = backup_sqlite(source, target)
            took = time.monotonic() - started
            self.stdout.write(f"backed up {size / 1e6:.1f} MB to {target} in {took:.1f} s")
        elif "postgresql" in db["ENGINE"]:
            backup_postgres(db, target)
            took = time.monotonic() - started
            self.stdout.write(f"pg_dump wrote {target} in {took:.1f} s (restore: pg_restore)")
        else:
            raise CommandError(f"no backup method for {db['ENGINE']}")
