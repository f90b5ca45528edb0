"""Benchmark: ``townhall import disqus`` on a synthetic export, first run and re-run.

Usage::

    .venv/bin/python -m bench.import_disqus [--posts 20000] [--database sqlite|postgres]
        [--pg-url postgres://127.0.0.1:5432/postgres] [--batch 500] [--keep-file PATH]

Writes a Disqus XML export with ``--posts`` posts (one thread per 25 posts, one
author per 8 posts with some shared names, a tenth guests, 45% replies of which
some come before their parent in the file, some spam, deleted and pending
posts, HTML bodies with links and bold), migrates a fresh database (SQLite in a
temporary folder, or a new PostgreSQL database ``townhall_bench_import_<pid>``
that is dropped at the end), creates the site ``bench``, then runs the import
twice as a separate process — the real import and a re-run that must add
nothing — and prints, for each, wall-clock seconds, records per second and the
import process's peak resident memory. The import's own progress bar shows.
Checks at the end that every post came in once and story counts are exact.
Not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
SITE = "bench"
SEED = 20261129

FIRST = ["Marta", "Jon", "Aled", "Priya", "Olu", "Ines", "Kai", "Rosa", "Tomas", "Yuki"]
LAST = ["Quay", "Harbour", "Mill", "Fenwick", "Okafor", "Silva", "Berg", "Novak"]
WORDS = (
    "ferry council budget harbour school bus timetable lighthouse paint road repair "
    "market library tide fishing parking rates weekend festival bridge storm"
).split()


def _message(rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
    if rng.random() < 0.3:
        words += ' see <a href="https://gazette.example/letters">the letters page</a>'
    if rng.random() < 0.3:
        words = f"<b>{rng.choice(WORDS)}</b> {words}"
    return f"<p>{words}.</p>"


def write_export(path: Path, posts: int, seed: int = SEED) -> None:
    """A Disqus export of ``posts`` posts, written as a stream with a progress line."""
    rng = random.Random(seed)
    threads = max(1, posts // 25)
    authors = max(1, posts // 8)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        )
        for t in range(threads):
            created = start + timedelta(hours=t * 3)
            out.write(
                f'  <thread dsq:id="t{t}">\n'
                f"    <id>story-{t:06d}</id>\n"
                f"    <link>https://gazette.example/news/story-{t:06d}</link>\n"
                f"    <title>{escape(' '.join(rng.choice(WORDS) for _ in range(5)))}</title>\n"
                f"    <createdAt>{created:%Y-%m-%dT%H:%M:%SZ}</createdAt>\n"
                f"    <isClosed>{'true' if t % 40 == 0 else 'false'}</isClosed>\n"
                "  </thread>\n"
            )
        in_thread: dict[int, list[int]] = {}
        # Now and then a post is held back and written after its first reply, so
        # the file has replies that come before their parent, as real exports do.
        held: tuple[int, int, str] | None = None
        for p in range(posts):
            t = rng.randrange(threads) if held is None else held[1]
            earlier = in_thread.setdefault(t, [])
            if held is not None:
                parent: int | None = held[0]
            else:
                parent = rng.choice(earlier) if earlier and rng.random() < 0.45 else None
            earlier.append(p)
            a = rng.randrange(authors)
            if rng.random() < 0.1:
                author = f"<author><name>Passer-by {a % 50}</name></author>"
            else:
                # Names repeat across people, so the site must number them apart.
                name = f"{FIRST[a % len(FIRST)]} {LAST[(a // 10) % len(LAST)]}"
                author = (
                    f"<author><email>reader{a}@example.org</email><name>{name}</name>"
                    f"<username>reader{a}</username></author>"
                )
            roll = rng.random()
            created = start + timedelta(hours=t * 3, minutes=p % 100_000)
            post = (
                f'  <post dsq:id="p{p}">\n'
                f"    <message><![CDATA[{_message(rng)}]]></message>\n"
                f"    <createdAt>{created:%Y-%m-%dT%H:%M:%SZ}</createdAt>\n"
                f"    <isDeleted>{'true' if roll < 0.02 else 'false'}</isDeleted>\n"
                f"    <isSpam>{'true' if 0.02 <= roll < 0.05 else 'false'}</isSpam>\n"
                f"    <isApproved>{'false' if 0.05 <= roll < 0.08 else 'true'}</isApproved>\n"
                f"    {author}\n"
                f'    <thread dsq:id="t{t}" />\n'
                + (f'    <parent dsq:id="p{parent}" />\n' if parent is not None else "")
                + "  </post>\n"
            )
            if held is not None:
                out.write(post + held[2])
                held = None
            elif p < posts - 1 and rng.random() < 0.02:
                held = (p, t, post)
            else:
                out.write(post)
            if p % 5000 == 0:
                print(f"\rwriting {path.name}: {p:,}/{posts:,} posts", end="", flush=True)
        if held is not None:
            out.write(held[2])
        out.write("</disqus>\n")
    print(f"\rwriting {path.name}: {posts:,}/{posts:,} posts", flush=True)


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB of that one process, and its stdout."""
    with tempfile.TemporaryFile("w+") as captured:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=captured, text=True)
        # wait4, not wait: the resource use of this one child, not of all of them.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        captured.seek(0)
        out = captured.read()
    if proc.returncode != 0:
        print(out)
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024, out


def _check(env: dict[str, str], posts: int) -> str:
    code = (
        "from django.db.models import Count, Q\n"
        "from townhall.comments.models import Comment\n"
        "from townhall.importers.models import ImportedRecord\n"
        "from townhall.sites.models import Story\n"
        "wrong = Story.objects.annotate(n=Count('comments', filter=Q(comments__status='published'))"
        ").exclude(comment_count=models.F('n')).count()\n"
        "print(Comment.objects.count(), ImportedRecord.objects.filter(kind='comment').count(),"
        " wrong)\n"
    )
    result = subprocess.run(
        [str(BIN / "townhall"), "shell", "-c", "from django.db import models\n" + code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    comments, records, wrong = (int(x) for x in result.stdout.split()[-3:])
    ok = comments == records == posts and wrong == 0
    return (
        f"{comments:,} comments, {records:,} import records, {wrong} stories with a wrong count"
        f" — {'OK' if ok else 'WRONG'}"
    )


def _pg_create(url: str) -> str:
    import psycopg

    name = f"townhall_bench_import_{os.getpid()}"
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return name


def _pg_drop(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default="postgres://127.0.0.1:5432/postgres")
    parser.add_argument("--batch", type=int, default=None, help="passed on as --batch")
    parser.add_argument("--keep-file", type=Path, help="write the export here and keep it")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="townhall-bench-import-"))
    pg_db = None
    try:
        export = args.keep_file or tmp / "disqus.xml"
        write_export(export, args.posts)
        size = export.stat().st_size / 2**20
        if args.database == "postgres":
            pg_db = _pg_create(args.pg_url)
            url = args.pg_url.rsplit("/", 1)[0] + "/" + pg_db
        else:
            url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TOWNHALL_DATA_DIR": str(tmp / "var"),
            "TOWNHALL_SECRET_KEY": "import-bench-secret-key-long-enough-for-django",
        }
        for name in ("REDIS_URL", "TOWNHALL_CACHE", "TOWNHALL_REPLICA_URLS"):
            env.pop(name, None)
        th = str(BIN / "townhall")
        subprocess.run([th, "migrate", "-v0"], env=env, check=True)
        subprocess.run([th, "createsite", SITE, "--name", "Bench"], env=env, check=True)
        cmd = [th, "import", "disqus", str(export), "--site", SITE]
        if args.batch:
            cmd += ["--batch", str(args.batch)]
        rows = []
        for label in ("import", "re-run"):
            print(f"== {label}: {' '.join(cmd[1:])}", flush=True)
            seconds, rss, out = _timed(cmd, env)
            print(out.splitlines()[0] if out else "(no output)")
            rows.append((label, seconds, rss))
        print(f"== check: {_check(env, args.posts)}")
        print(
            f"\n{args.posts:,} posts ({size:.1f} MiB) on {args.database}, "
            f"{os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}"
        )
        print(f"{'run':8} {'seconds':>9} {'records/s':>10} {'peak RSS MiB':>13}")
        for label, seconds, rss in rows:
            print(f"{label:8} {seconds:>9.1f} {args.posts / seconds:>10,.0f} {rss:>13.0f}")
    finally:
        if pg_db:
            _pg_drop(args.pg_url, pg_db)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
