"""Soak test: minutes of mixed load on a real townhall server; no errors, no lost
comments, flat memory.

Usage (from the repository root, with the project's venv)::

    .venv/bin/python -m bench.soak [--duration 180] [--workers 2] [--pg-url URL]

Not part of the test suite (it runs for minutes). What it does, cleaning up after
itself even on Ctrl-C:

* makes a fresh install in a temp dir (SQLite, or a new database
  ``townhall_soak_<pid>`` on ``--pg-url``, dropped at the end), with one site,
  readers, reporters and a moderator, and serves it with ``townhall serve``;
* runs at once, for ``--duration`` seconds: posters (new comments and replies),
  anonymous readers (threads and counts), a signed-in reader, reporters (reader
  reports with reasons) and a moderator working the reported and pending queues;
* samples the resident memory of the server's whole process tree every
  ``--sample-every`` seconds;
* afterwards checks that every comment the server acknowledged (201) is stored
  with its text, and prints requests by kind and status, errors (any 5xx or
  connection failure), lost comments, latency percentiles and the memory trend;
  writes them to ``bench/results/soak-<UTC timestamp>.json`` and
  ``bench/results/soak-latest.json``.

Exit status 1 when there was an error, a lost comment, or memory grew more than
``--max-growth`` percent between the first and the last third of the run (after a
warm-up), so it can gate a release by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from tests.install import Install, Server
from tqdm import tqdm

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

SITE = "soak"
STORIES = [f"story-{i:02d}" for i in range(12)]
REASONS = ["obscene", "threat", "untruthful", "degrading", "spam", "other"]
SEED = 20261129

_WORDS = (
    "harbour council budget depot ferry school library bridge market river election "
    "tram park museum flood rent clinic festival"
).split()


# --------------------------------------------------------------------------- install

# Scores out of reach: the load is about the server, not the model's opinions.
THRESHOLDS_OFF = (
    "from townhall.moderation.types import ATTRIBUTES\n"
    "from townhall.sites.models import Site\n"
    "off = dict.fromkeys(ATTRIBUTES, 1.01)\n"
    "Site.objects.update(hold_thresholds=off, reject_thresholds=off)"
)


def prepare(install: Install, people: int, reporters: int) -> dict[str, list[str]]:
    """Migrate; create the site and accounts in one process; return tokens by role."""
    install.must("migrate", "-v0")
    accounts = [(f"Reader {i}", "commenter", "readers") for i in range(people)]
    accounts += [(f"Reporter {i}", "commenter", "reporters") for i in range(reporters)]
    accounts += [("Desk Editor", "moderator", "moderators")]
    return install.create(SITE, "Soak Gazette", accounts, then=THRESHOLDS_OFF)


def tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier.extend(children)
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in tree:
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
    return total


# --------------------------------------------------------------------------- load


class Tally:
    """Every request's kind, status and latency; the comments acknowledged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[tuple[str, str]] = Counter()
        self.latency: dict[str, list[float]] = {}
        self.acknowledged: dict[int, tuple[str, str]] = {}  # id -> (story, body)
        self.errors: list[str] = []

    def call(self, kind: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = send()
        except httpx.HTTPError as exc:
            with self.lock:
                self.statuses[(kind, type(exc).__name__)] += 1
                self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.statuses[(kind, str(response.status_code))] += 1
            self.latency.setdefault(kind, []).append(elapsed)
            if response.status_code >= 500:
                self.errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
        return response

    def comment_ids(self) -> list[int]:
        with self.lock:
            return list(self.acknowledged)


def _body(rng: random.Random, n: int) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 30)))
    return f"Soak note {n}: the {words}."


def poster(api: str, token: str, tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=60, headers=headers) as client:
        n = 0
        while not stop.is_set():
            n += 1
            story = rng.choice(STORIES)
            body = _body(rng, seed * 1_000_000 + n)
            data: dict[str, Any] = {"site": SITE, "story": story, "body": body}
            kind = "post"
            if rng.random() < 0.25:
                with tally.lock:
                    same = [i for i, (s, _) in tally.acknowledged.items() if s == story]
                if same:
                    data["parent_id"] = rng.choice(same[-50:])
                    kind = "reply"
            r = tally.call(kind, lambda d=data: client.post(api + "/comments", json=d))
            if r is not None and r.status_code == 201:
                with tally.lock:
                    tally.acknowledged[r.json()["id"]] = (story, body)
            stop.wait(0.05)


def reader(api: str, token: str | None, tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kind = "read_signed_in" if token else "read"
    with httpx.Client(timeout=60, headers=headers) as client:
        while not stop.is_set():
            if not token and rng.random() < 0.2:
                params: Any = [("site", SITE), *(("story", s) for s in STORIES)]
                tally.call("counts", lambda p=params: client.get(api + "/counts", params=p))
            else:
                params = {"site": SITE, "story": rng.choice(STORIES)}
                params["sort"] = rng.choice(["newest", "oldest", "top"])
                tally.call(kind, lambda p=params: client.get(api + "/comments", params=p))
            stop.wait(0.02)


def reporter(api: str, token: str, tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.wait(rng.uniform(2.0, 6.0)):
            ids = tally.comment_ids()
            if not ids:
                continue
            target = rng.choice(ids)
            data = {"reason": rng.choice(REASONS), "note": "seen in the soak"}
            tally.call(
                "report",
                lambda t=target, d=data: client.post(f"{api}/comments/{t}/report", json=d),
            )


def moderator(api: str, token: str, tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.wait(0.5):
            queue = rng.choice(["reported", "pending", "approved"])
            r = tally.call(
                "queue",
                lambda q=queue: client.get(
                    api + "/moderation/queue", params={"site": SITE, "queue": q, "limit": 20}
                ),
            )
            if r is None or r.status_code != 200:
                continue
            for item in r.json()["comments"][:3]:
                action = rng.choice(["approve", "approve", "reject", "feature"])
                data: dict[str, Any] = {"action": action}
                if action == "reject":
                    data["guideline"] = "nice"
                tally.call(
                    "moderate",
                    lambda i=item["id"], d=data: client.post(
                        f"{api}/moderation/comments/{i}", json=d
                    ),
                )


# --------------------------------------------------------------------------- run


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


def _memory_trend(samples: list[tuple[float, int]], warmup: float) -> dict[str, float]:
    """Mean RSS of the first and the last third after the warm-up, and the growth."""
    kept = [rss for t, rss in samples if t >= warmup]
    if len(kept) < 3:
        return {}
    third = max(1, len(kept) // 3)
    first, last = statistics.mean(kept[:third]), statistics.mean(kept[-third:])
    return {
        "first_third_mb": round(first / 2**20, 1),
        "last_third_mb": round(last / 2**20, 1),
        "growth_pct": round((last - first) / first * 100, 1),
        "peak_mb": round(max(rss for _, rss in samples) / 2**20, 1),
    }


@contextlib.contextmanager
def _database(pg_url: str | None, workdir: Path) -> Iterator[str]:
    if not pg_url:
        yield f"sqlite:///{workdir / 'townhall.sqlite3'}"
        return
    import psycopg

    name = f"townhall_soak_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="townhall-soak-"))
    try:
        with _database(args.pg_url, workdir) as database_url:
            install = Install(
                workdir,
                database_url,
                TOWNHALL_ALLOWED_HOSTS="127.0.0.1",
                TOWNHALL_LOG_LEVEL="WARNING",
            )
            return _soak(install, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _soak(install: Install, args: argparse.Namespace) -> dict[str, Any]:
    print("preparing a fresh install …", flush=True)
    tokens = prepare(install, people=args.posters + 1, reporters=args.reporters)
    server = install.serve(args.workers, ready_within=120)
    try:
        return _load(install, server, tokens, args)
    finally:
        server.stop()


def _load(
    install: Install, server: Server, tokens: dict[str, list[str]], args: argparse.Namespace
) -> dict[str, Any]:
    tally, stop = Tally(), threading.Event()
    api = server.api
    readers = tokens["readers"]
    jobs: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
    jobs += [(poster, (api, readers[i], tally, stop, i)) for i in range(args.posters)]
    jobs += [(reader, (api, None, tally, stop, 100 + i)) for i in range(args.readers)]
    jobs += [(reader, (api, readers[-1], tally, stop, 200))]
    jobs += [(reporter, (api, t, tally, stop, 300 + i)) for i, t in enumerate(tokens["reporters"])]
    jobs += [(moderator, (api, tokens["moderators"][0], tally, stop, 400))]
    threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in jobs]
    started = time.monotonic()
    samples: list[tuple[float, int]] = []
    for t in threads:
        t.start()
    try:
        with tqdm(total=args.duration, unit="s", desc="soak") as bar:
            while (elapsed := time.monotonic() - started) < args.duration:
                samples.append((elapsed, tree_rss_bytes(server.proc.pid)))
                with tally.lock:
                    bar.set_postfix(
                        requests=sum(tally.statuses.values()),
                        comments=len(tally.acknowledged),
                        errors=len(tally.errors),
                        rss_mb=round(samples[-1][1] / 2**20),
                    )
                time.sleep(max(0, min(args.sample_every, args.duration - elapsed)))
                bar.n = min(args.duration, round(time.monotonic() - started))
                bar.refresh()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    wall = time.monotonic() - started
    samples.append((wall, tree_rss_bytes(server.proc.pid)))
    alive = server.proc.poll() is None
    server.stop()

    stored = install.stored_comments()
    lost = [i for i, (_, body) in tally.acknowledged.items() if stored.get(i) != body]
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, status), n in sorted(tally.statuses.items()):
        by_kind.setdefault(kind, {})[status] = n
    total = sum(tally.statuses.values())
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if args.pg_url else "sqlite",
        "workers": args.workers,
        "duration_s": round(wall, 1),
        "load": {
            "posters": args.posters,
            "anonymous_readers": args.readers,
            "signed_in_readers": 1,
            "reporters": args.reporters,
            "moderators": 1,
        },
        "requests": total,
        "requests_per_s": round(total / wall, 1),
        "by_kind_and_status": by_kind,
        "latency": {kind: _percentiles(v) for kind, v in sorted(tally.latency.items())},
        "errors": len(tally.errors),
        "error_samples": tally.errors[:10],
        "comments_acknowledged": len(tally.acknowledged),
        "comments_lost": len(lost),
        "server_alive_at_end": alive,
        "memory": _memory_trend(samples, warmup=args.warmup),
        "rss_samples_mb": [[round(t, 1), round(rss / 2**20, 1)] for t, rss in samples],
        "load_average_at_end": Path("/proc/loadavg").read_text().split()[:3],
    }


def _print(result: dict[str, Any]) -> None:
    print(
        f"\nsoak on {result['database']}, {result['workers']} workers, "
        f"{result['duration_s']} s: {result['requests']} requests "
        f"({result['requests_per_s']}/s)"
    )
    width = max(len(k) for k in result["by_kind_and_status"])
    for kind, statuses in result["by_kind_and_status"].items():
        lat = result["latency"].get(kind, {})
        codes = ", ".join(f"{s}: {n}" for s, n in statuses.items())
        print(
            f"  {kind:<{width}}  {codes:<40} p50 {lat.get('p50_ms', '-')} ms  "
            f"p99 {lat.get('p99_ms', '-')} ms"
        )
    mem = result["memory"]
    print(
        f"errors: {result['errors']}   comments acknowledged: {result['comments_acknowledged']}"
        f"   lost: {result['comments_lost']}"
    )
    print(
        f"memory (server tree): {mem.get('first_third_mb')} MB → {mem.get('last_third_mb')} MB "
        f"({mem.get('growth_pct')}%), peak {mem.get('peak_mb')} MB"
    )
    for line in result["error_samples"]:
        print("  error:", line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=180, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=20, help="seconds before memory counts")
    parser.add_argument("--sample-every", type=float, default=2, help="seconds between RSS samples")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--posters", type=int, default=3)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--reporters", type=int, default=6)
    parser.add_argument("--pg-url", default=None, help="PostgreSQL server to make a database on")
    parser.add_argument("--max-growth", type=float, default=15, help="percent of RSS growth")
    args = parser.parse_args(argv)

    # Ctrl-C and SIGTERM unwind through the finally blocks: server stopped, temp dir gone.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    result = run(args)
    _print(result)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"soak-{stamp}.json", "soak-latest.json"):
        (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(f"written: bench/results/soak-{stamp}.json, bench/results/soak-latest.json")
    growth = result["memory"].get("growth_pct", 0)
    ok = result["errors"] == 0 and result["comments_lost"] == 0 and growth <= args.max_growth
    return 0 if ok and result["server_alive_at_end"] else 1


if __name__ == "__main__":
    sys.exit(main())
