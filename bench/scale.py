"""Scale of data: does townhall stay as fast at a million comments as at ten thousand?

Usage (from the repository root, with the project's venv)::

    .venv/bin/python -m bench.scale [--databases sqlite postgres]
                                    [--steps 10000 1000000] [--per-story 10]

For each database it grows one townhall database step by step (by default to
10,000 comments over 1,000 stories, then to 1,000,000 over 100,000), and after
each step serves it with ``townhall serve --workers 1`` and measures, over HTTP:

* ``cold_read``: a signed-in read of a random story's thread. Signed-in reads are
  built for the caller and never cached, so every one comes from the database;
* ``cold_probe``: the same for one fixed 20-comment story, the same at every step;
* ``warm_read``: an anonymous read of that story, answered from the shared cache;
* ``post``: ``POST /api/v1/comments`` with full moderation, by an author whose
  history grows with the database (every seeded author has a share of it);
* the resident memory (RSS) of the worker's process tree after the load.

Comments are bulk-inserted through the ORM (``bulk_create`` with explicit ids, so
``root``, ``parent`` and ``depth`` are right without a second pass), with each
story's ``comment_count`` set to what it holds. Then it prints the figures, the
ratios between the last and the first step (the target: within 1.5×), and writes
``bench/results/scale-<UTC timestamp>.json``.

PostgreSQL is used when reachable on ``--pg-url`` (a fresh database
``townhall_scale_<pid>``, dropped at the end); everything else lives in a temp dir
that is removed on exit, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from bench.http import RssSampler
from bench.seeding import CommentInserter, create_authors, finish, issue_tokens
from bench.seeding import body as _body
from tests.install import Server, free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
RESULTS = HERE / "results"

SITE = "scale"
SEED = 20261129
N_AUTHORS = 1000
PROBE_KEY = "story-probe"
PROBE_COMMENTS = 20
TARGET_RATIO = 1.5


def story_key(i: int) -> str:
    return f"story-{i:06d}"


# --------------------------------------------------------------------- seeding


def seed(target: int, per_story: int) -> None:
    """Run inside townhall's environment: add stories and comments up to ``target``."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townhall.settings")
    django.setup()
    from django.db import connection, transaction
    from django.db.models import Max
    from tqdm import tqdm

    from townhall.accounts.models import Membership, User
    from townhall.comments.models import Comment
    from townhall.lib import markdown
    from townhall.sites.models import Site, Story

    site = Site.objects.get(slug=SITE)
    rng = random.Random(SEED + target)
    with transaction.atomic():
        if not Membership.objects.filter(site=site).exists():
            create_authors(site, N_AUTHORS, "scale.example")
            print(f"token {issue_tokens(site, 'scale.example', 1)[0]}", flush=True)
        members = list(
            Membership.objects.filter(site=site).order_by("pk").values_list("pk", flat=True)
        )
        have = Comment.objects.count()
        n_stories = Story.objects.filter(site=site).count()
        next_id = (Comment.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        # A small pool of bodies, rendered once: the renderer is not what is measured.
        bodies = [(b, markdown.render(b)) for b in (_body(rng) for _ in range(500))]
        base = datetime(2026, 1, 1, tzinfo=UTC).timestamp()

        plan: list[tuple[str, int]] = []
        if n_stories == 0:
            plan.append((PROBE_KEY, PROBE_COMMENTS))
            have_planned = have + PROBE_COMMENTS
        else:
            have_planned = have
        i = n_stories
        while have_planned < target:
            n = min(rng.randint(1, 2 * per_story - 1), target - have_planned)
            plan.append((story_key(i), n))
            have_planned += n
            i += 1
        Story.objects.bulk_create(
            (
                Story(
                    site=site,
                    key=key,
                    url=f"https://news.example/{key}",
                    title=f"Scale story {key}",
                    comment_count=n,
                    created_at=datetime.fromtimestamp(base + j * 60, tz=UTC),
                )
                for j, (key, n) in enumerate(plan, start=n_stories)
            ),
            batch_size=2000,
        )
        story_ids = dict(
            Story.objects.filter(site=site, key__in=[k for k, _ in plan]).values_list("key", "pk")
        )
        insert = CommentInserter(connection, site.pk)
        batch: list[tuple[Any, ...]] = []
        with tqdm(total=have_planned - have, desc=f"seed to {target:,}", unit="comment") as bar:
            for key, n in plan:
                ids: list[int] = []
                roots: list[int] = []
                depths: list[int] = []
                for k in range(n):
                    parent = rng.randrange(k) if k and rng.random() < 0.4 else -1
                    if parent >= 0 and depths[parent] >= 3:
                        parent = -1
                    pk = next_id
                    next_id += 1
                    depth = 0 if parent < 0 else depths[parent] + 1
                    root = pk if parent < 0 else roots[parent]
                    ids.append(pk)
                    roots.append(root)
                    depths.append(depth)
                    body, html = bodies[rng.randrange(len(bodies))]
                    batch.append(
                        insert.row(
                            id=pk,
                            story_id=story_ids[key],
                            parent_id=None if parent < 0 else ids[parent],
                            root_id=root,
                            depth=depth,
                            author_id=members[rng.randrange(len(members))],
                            body=body,
                            body_html=html,
                            created_at=datetime.fromtimestamp(base + pk * 7.0, tz=UTC),
                        )
                    )
                if len(batch) >= 10000:
                    insert.write(batch)
                    bar.update(len(batch))
                    batch = []
            insert.write(batch)
            bar.update(len(batch))
    finish([Comment, Story, User])


# ------------------------------------------------------------------ measuring


def start_server(env: dict[str, str], log: Path) -> Server:
    """One ``townhall serve`` worker (a worker's memory is one of the measures)."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(BIN / "townhall"), "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(proc, port, log)
    try:
        server.wait_healthy(120)
    except RuntimeError:
        server.stop()
        raise
    return server


def _timed(client: httpx.Client, method: str, url: str, **kw: Any) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.request(method, url, **kw)
    return (time.perf_counter() - started) * 1000, response.status_code


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def measure(server: Server, token: str, n_stories: int, samples: int, step: int) -> dict[str, Any]:
    rng = random.Random(SEED * 3 + step)
    auth = {"Authorization": f"Bearer {token}"}
    url = server.api + "/comments"
    out: dict[str, Any] = {}
    statuses: list[int] = []
    with httpx.Client(timeout=60) as client:
        # warm-up: the model, the connection, the code paths
        for i in range(10):
            client.get(url, params={"site": SITE, "story": story_key(i)}, headers=auth)
            client.post(
                url,
                headers=auth,
                json={"site": SITE, "story": story_key(i), "body": f"Warm-up {step} {i}."},
            )
        cold: list[float] = []
        for _ in range(samples):
            key = story_key(rng.randrange(n_stories))
            ms, status = _timed(
                client, "GET", url, params={"site": SITE, "story": key}, headers=auth
            )
            cold.append(ms)
            statuses.append(status)
        out["cold_read"] = _summary(cold)
        probe: list[float] = []
        for _ in range(samples):
            params = {"site": SITE, "story": PROBE_KEY}
            ms, status = _timed(client, "GET", url, params=params, headers=auth)
            probe.append(ms)
            statuses.append(status)
        out["cold_probe"] = _summary(probe)
        warm: list[float] = []
        client.get(url, params={"site": SITE, "story": PROBE_KEY})
        for _ in range(samples * 4):
            ms, status = _timed(client, "GET", url, params={"site": SITE, "story": PROBE_KEY})
            warm.append(ms)
            statuses.append(status)
        out["warm_read"] = _summary(warm)
        posts: list[float] = []
        for i in range(samples):
            key = story_key(rng.randrange(n_stories))
            body = f"Step {step}, note {i}: {_body(rng)}"
            ms, status = _timed(
                client, "POST", url, headers=auth, json={"site": SITE, "story": key, "body": body}
            )
            posts.append(ms)
            statuses.append(status)
        out["post"] = _summary(posts)
    out["worker_rss_mib"] = round(RssSampler(server.proc.pid).sample() / 2**20, 1)
    out["statuses"] = {str(s): statuses.count(s) for s in sorted(set(statuses))}
    return out


def run_database(label: str, url: str, args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    data_dir = tmp / label
    data_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TOWNHALL_DATA_DIR": str(data_dir),
        "TOWNHALL_ALLOWED_HOSTS": "127.0.0.1",
        "TOWNHALL_POST_RATE_PER_MINUTE": "1000000",
        "TOWNHALL_NEW_ACCOUNT_POST_RATE_PER_MINUTE": "1000000",
        "TOWNHALL_DUPLICATE_WINDOW_SECONDS": "0",
        "TOWNHALL_SECRET_KEY": "scale-bench-secret-key-long-enough-for-django",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("REDIS_URL", "TOWNHALL_CACHE", "TOWNHALL_REPLICA_URLS"):
        env.pop(name, None)
    th = str(BIN / "townhall")
    subprocess.run([th, "migrate", "-v0"], env=env, check=True)
    subprocess.run([th, "createsite", SITE, "--name", "Scale"], env=env, check=True)
    rows = []
    token = ""
    for step, target in enumerate(args.steps):
        print(f"== {label}: grow to {target:,} comments", flush=True)
        started = time.monotonic()
        seeded = subprocess.run(
            [str(BIN / "python"), "-m", "bench.scale", "seed", str(target), str(args.per_story)],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        seed_s = time.monotonic() - started
        for line in seeded.stdout.splitlines():
            if line.startswith("token "):
                token = line.split()[1]
        counts = subprocess.run(
            [
                th,
                "shell",
                "-c",
                "from townhall.comments.models import Comment;"
                "from townhall.sites.models import Story;"
                "print(Comment.objects.count(), Story.objects.count())",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        n_comments, n_stories = int(counts[-2]), int(counts[-1])
        server = start_server(env, data_dir / "serve.log")
        try:
            print(f"== {label}: measure at {n_comments:,} comments, {n_stories:,} stories")
            figures = measure(server, token, n_stories - 1, args.samples, step)
        finally:
            server.stop()
        row = {
            "database": label,
            "comments": n_comments,
            "stories": n_stories,
            "seed_seconds": round(seed_s, 1),
            **figures,
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def ratios(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Last step against the first, per database: latency p50s and the worker's RSS."""
    out: dict[str, Any] = {}
    for label in sorted({r["database"] for r in rows}):
        mine = [r for r in rows if r["database"] == label]
        first, last = mine[0], mine[-1]
        for what in ("cold_read", "cold_probe", "warm_read", "post"):
            ratio = last[what]["p50_ms"] / first[what]["p50_ms"]
            out[f"{label}/{what}"] = {"ratio": round(ratio, 2), "met": ratio <= TARGET_RATIO}
        rss = last["worker_rss_mib"] / first["worker_rss_mib"]
        out[f"{label}/worker_rss"] = {"ratio": round(rss, 2), "met": rss <= TARGET_RATIO}
    return out


def _pg_database(url: str) -> str | None:
    import psycopg

    name = f"townhall_scale_{os.getpid()}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"== SKIPPED PostgreSQL: {exc}", flush=True)
        return None
    return name


def _pg_drop(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["seed"]:
        seed(int(argv[1]), int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--steps", nargs="+", type=int, default=[10_000, 1_000_000])
    parser.add_argument("--per-story", type=int, default=10, help="mean comments per story")
    parser.add_argument("--samples", type=int, default=50, help="requests per measurement")
    parser.add_argument("--pg-url", default="postgres://127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = datetime.now(UTC)
    tmp = Path(tempfile.mkdtemp(prefix="townhall-bench-scale-"))
    pg_db: str | None = None
    rows: list[dict[str, Any]] = []
    try:
        if "sqlite" in args.databases:
            rows += run_database("sqlite", f"sqlite:///{tmp / 'scale.sqlite3'}", args, tmp)
        if "postgres" in args.databases:
            pg_db = _pg_database(args.pg_url)
            if pg_db is not None:
                url = args.pg_url.rsplit("/", 1)[0] + "/" + pg_db
                rows += run_database("postgres", url, args, tmp)
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        return 130
    finally:
        if pg_db:
            _pg_drop(args.pg_url, pg_db)
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "loadavg_1m_end": os.getloadavg()[0]},
        "settings": {"steps": args.steps, "per_story": args.per_story, "samples": args.samples},
        "rows": rows,
        "ratios_last_to_first": ratios(rows) if rows else {},
        "target": f"every ratio <= {TARGET_RATIO}",
    }
    print(
        f"\n{'database':9} {'comments':>10} {'cold read':>10} {'probe':>8} {'warm':>7} "
        f"{'post':>8} {'RSS MiB':>8}   (p50, ms)"
    )
    for r in rows:
        print(
            f"{r['database']:9} {r['comments']:>10,} {r['cold_read']['p50_ms']:>10} "
            f"{r['cold_probe']['p50_ms']:>8} {r['warm_read']['p50_ms']:>7} "
            f"{r['post']['p50_ms']:>8} {r['worker_rss_mib']:>8}"
        )
    for name, ratio in result["ratios_last_to_first"].items():
        print(f"  {'met   ' if ratio['met'] else 'MISSED'} {name:24} {ratio['ratio']}×")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"scale-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
