"""HTTP benchmark: townhall against Isso (the peer), same data, same load, one run.

Usage (from the repository root, with the project's venv)::

    .venv/bin/python -m bench.http [--duration 10] [--warmup 2] [--connections 32]
                                   [--workers 4] [--skip-pg] [--no-chart]

(Run it as a module: as a script, ``bench/`` would be put first on ``sys.path`` and
this file would shadow the standard library's ``http`` package.)

What it does, bounded in time and cleaning up after itself even on Ctrl-C:

* installs Isso and gunicorn from PyPI into ``bench/.venv-isso`` (once), writes an
  Isso config into a temp dir (SQLite in tmp, moderation off, guard off) and serves
  it with gunicorn, ``--workers`` workers;
* serves townhall with ``townhall serve --workers N`` on a fresh SQLite database, and
  again on PostgreSQL + Redis when both are reachable on 127.0.0.1;
* seeds both with the same 1,000 stories (about 20 comments each, five with 500,
  replies included) and townhall with one extra story of 5,000 comments;
* drives each with ``wrk`` (Debian package) from a separate process at
  ``--connections`` connections, per scenario: a warm-up, then ``--duration`` seconds;
* measures a bare ASGI app under the same granian server (the ceiling);
* prints requests/s, p50/p99 latency, errors and peak RSS of each server's process
  tree, then townhall/Isso ratios; writes ``bench/results/http-<timestamp>.json``,
  ``bench/results/latest.json`` and the chart ``docs/performance.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import venv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.seeding import author_name
from bench.seeding import body as body_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
ISSO_VENV = HERE / ".venv-isso"
ISSO_PACKAGES = ["isso", "gunicorn"]
RESULTS = HERE / "results"
CHART = ROOT / "docs" / "performance.png"

SITE = "bench"
SEED = 20260601
N_STORIES = 1000
STORY_20 = 0  # exactly 20 comments
STORIES_500 = (1, 2, 3, 4, 5)  # 500 comments each
BIG_KEY = "story-big"  # townhall only: 5,000 comments
BIG_COMMENTS = 5000
POST_STORIES = range(100, N_STORIES)  # posts go here, away from the read scenarios
MIXED_STORIES = range(0, 100)  # the mixed scenario reads and posts here
N_AUTHORS = 400
ISSO_RECOMMENDED_WORKERS = 4  # its deployment docs: gunicorn -b localhost:8080 -w 4 --preload
AUTHOR_DOMAIN = "bench.example"
# Posts come from this many distinct readers (of the 400, each with a history of
# comments), as on a real site, not all from one account.
N_POSTERS = 200


def story_key(i: int) -> str:
    return f"story-{i:04d}"


# --------------------------------------------------------------------------- data


def story_sizes() -> list[int]:
    """Comments per story: story 0 has 20, five have 500, the rest 4..31 (mean about 20)."""
    rng = random.Random(SEED)
    sizes = [rng.randint(4, 31) for _ in range(N_STORIES)]
    sizes[STORY_20] = 20
    for i in STORIES_500:
        sizes[i] = 500
    return sizes


def story_comments(index: int, n: int) -> list[tuple[int, int, str, float]]:
    """(parent index or -1, author index, body, created timestamp) for one story.

    About 40% are replies to an earlier comment (at most three levels deep, as
    townhall's default ``max_reply_depth``); the timestamps increase.
    """
    rng = random.Random(SEED * 7 + index)
    start = 1_760_000_000 + index * 3600.0
    depth: list[int] = []
    out = []
    for j in range(n):
        parent = -1
        if j and rng.random() < 0.4:
            cand = rng.randrange(j)
            if depth[cand] < 3:
                parent = cand
        depth.append(0 if parent < 0 else depth[parent] + 1)
        out.append((parent, rng.randrange(N_AUTHORS), body_text(rng), start + j * 37.0))
    return out


def all_stories(include_big: bool) -> list[tuple[str, list[tuple[int, int, str, float]]]]:
    stories = [(story_key(i), story_comments(i, n)) for i, n in enumerate(story_sizes())]
    if include_big:
        stories.append((BIG_KEY, story_comments(N_STORIES, BIG_COMMENTS)))
    return stories


# ---------------------------------------------------------------- townhall seeding


def seed_townhall(tokens_file: Path) -> None:
    """Run inside the project's venv with townhall's environment: bulk-insert the data,
    and write the posters' API tokens to ``tokens_file``, one a line."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townhall.settings")
    django.setup()
    from datetime import datetime as dt

    from bench import seeding
    from django.db import connection, transaction
    from tqdm import tqdm

    from townhall.accounts.models import Membership, User
    from townhall.comments.models import Comment
    from townhall.lib import markdown
    from townhall.sites.models import Site, Story

    site = Site.objects.get(slug=SITE)
    stories = all_stories(include_big=True)
    rendered: dict[str, str] = {}
    with transaction.atomic():
        members = seeding.create_authors(site, N_AUTHORS, AUTHOR_DOMAIN)
        tokens = seeding.issue_tokens(site, AUTHOR_DOMAIN, N_POSTERS)
        Story.objects.bulk_create(
            [
                Story(
                    site=site,
                    key=key,
                    url=f"http://127.0.0.1/news/{key}",
                    title=f"Bench story {key}",
                    comment_count=len(comments),
                    created_at=dt.fromtimestamp(comments[0][3] - 60, tz=UTC),
                )
                for key, comments in stories
            ]
        )
        story_ids = dict(Story.objects.filter(site=site).values_list("key", "pk"))
        next_id = (Comment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        insert = seeding.CommentInserter(connection, site.pk)
        batch: list[tuple[Any, ...]] = []
        total = sum(len(c) for _, c in stories)
        with tqdm(total=total, desc="seed townhall", unit="comment") as bar:
            for key, comments in stories:
                ids: list[int] = []
                roots: list[int] = []
                depths: list[int] = []
                for parent, author, body, created in comments:
                    pk = next_id
                    next_id += 1
                    html = rendered.get(body)
                    if html is None:
                        html = rendered[body] = markdown.render(body)
                    depth = 0 if parent < 0 else depths[parent] + 1
                    root = pk if parent < 0 else roots[parent]
                    ids.append(pk)
                    roots.append(root)
                    depths.append(depth)
                    batch.append(
                        insert.row(
                            id=pk,
                            story_id=story_ids[key],
                            parent_id=None if parent < 0 else ids[parent],
                            root_id=root,
                            depth=depth,
                            author_id=members[author],
                            body=body,
                            body_html=html,
                            created_at=dt.fromtimestamp(created, tz=UTC),
                        )
                    )
                if len(batch) >= 5000:
                    insert.write(batch)
                    bar.update(len(batch))
                    batch = []
            insert.write(batch)
            bar.update(len(batch))
    seeding.finish([Comment, Story, User, Membership])
    tokens_file.write_text("\n".join(tokens) + "\n")


def seed_isso(db: Path) -> None:
    """Insert the same 1,000 stories into Isso's SQLite schema (two levels, as Isso keeps)."""
    from tqdm import tqdm

    stories = all_stories(include_big=False)
    con = sqlite3.connect(db)
    try:
        cur = con.cursor()
        next_id = 1
        with tqdm(total=sum(len(c) for _, c in stories), desc="seed isso", unit="comment") as bar:
            for key, comments in stories:
                cur.execute(
                    "INSERT INTO threads (uri, title) VALUES (?, ?)",
                    (f"/{key}", f"Bench story {key}"),
                )
                tid = cur.lastrowid
                ids: list[int] = []
                roots: list[int] = []
                rows = []
                for parent, author, body, created in comments:
                    pk = next_id
                    next_id += 1
                    root = pk if parent < 0 else roots[parent]
                    # Isso flattens replies of replies onto the top-level comment.
                    isso_parent = None if parent < 0 else root
                    ids.append(pk)
                    roots.append(root)
                    rows.append(
                        (
                            tid,
                            pk,
                            isso_parent,
                            created,
                            None,
                            1,
                            f"127.0.{author % 250}.0",
                            body,
                            author_name(author),
                            None,
                            None,
                            bytes(256),
                        )
                    )
                cur.executemany(
                    "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr,"
                    " text, author, email, website, voters) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                bar.update(len(rows))
        con.commit()
        con.execute("ANALYZE")
    finally:
        con.close()


# ------------------------------------------------------------------ load generation

LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"status":%d,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,' ..
    '"max_us":%.0f,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
"""

LUA_DYNAMIC = r"""
local counter = 0
local nthreads = 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end
function init(args)
  math.randomseed(os.time() + tid * 7919)
end
local words = {"timetable", "library", "harbour", "budget", "bridge", "market", "bus",
  "school", "council", "survey", "depot", "volunteers", "minutes", "election"}
local function body()
  counter = counter + 1
  local a = words[math.random(#words)]
  local b = words[math.random(#words)]
  return string.format("Reader note %d-%d-%d: the %s story and the %s plan deserve a " ..
    "follow up, thanks for the reporting.", tid, counter, math.random(1000000), a, b)
end
local stories = {STORIES}
local function story()
  return stories[math.random(#stories)]
end
request = function()
  if math.random() < POST_SHARE then
    return POST()
  end
  return READ()
end
"""


def _lua_list(items: list[str]) -> str:
    return ", ".join(json.dumps(x) for x in items)


def lua_static(
    method: str, path: str, body: str = "", headers: dict[str, str] | None = None
) -> str:
    lines = [f"wrk.method = {json.dumps(method)}", f"wrk.path = {json.dumps(path)}"]
    if body:
        lines.append(f"wrk.body = {json.dumps(body)}")
    for k, v in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}")
    return "\n".join(lines) + "\n" + LUA_DONE


def lua_dynamic(stories: list[str], post_share: float, read_fn: str, post_fn: str) -> str:
    text = (
        LUA_DYNAMIC.replace("STORIES", _lua_list(stories))
        .replace("POST_SHARE", repr(post_share))
        .replace("POST()", "post_request()")
        .replace("READ()", "read_request()")
    )
    # The request builders are defined before ``request`` uses them.
    text = text.replace("request = function()", read_fn + "\n" + post_fn + "\nrequest = function()")
    return text + LUA_DONE


def townhall_scripts(tokens: list[str]) -> dict[str, str]:
    keys100 = [story_key(i) for i in range(100, 200)]
    counts_path = "/api/v1/counts?site=bench&" + "&".join(f"story={k}" for k in keys100)
    read_fn = (
        "function read_request()\n"
        '  return wrk.format("GET", "/api/v1/comments?site=bench&story=" .. story())\nend'
    )
    post_fn = (
        f"local tokens = {{{_lua_list(tokens)}}}\n"
        "function post_request()\n"
        "  local b = string.format("
        '\'{"site":"bench","story":"%s","body":"%s"}\', story(), body())\n'
        '  local auth = "Bearer " .. tokens[math.random(#tokens)]\n'
        '  return wrk.format("POST", "/api/v1/comments", {["Content-Type"]="application/json",'
        ' ["Authorization"]=auth}, b)\nend'
    )
    return {
        "read_20": lua_static("GET", f"/api/v1/comments?site=bench&story={story_key(STORY_20)}"),
        "read_500": lua_static(
            "GET", f"/api/v1/comments?site=bench&story={story_key(STORIES_500[0])}"
        ),
        "read_5000": lua_static("GET", f"/api/v1/comments?site=bench&story={BIG_KEY}"),
        "counts_100": lua_static("GET", counts_path),
        "post": lua_dynamic([story_key(i) for i in POST_STORIES], 1.0, read_fn, post_fn),
        "mixed_95_5": lua_dynamic([story_key(i) for i in MIXED_STORIES], 0.05, read_fn, post_fn),
    }


def isso_scripts() -> dict[str, str]:
    uris = [f"/{story_key(i)}" for i in range(100, 200)]
    page = "&limit=50&sort=newest"
    read_fn = (
        "function read_request()\n"
        f'  return wrk.format("GET", "/?uri=/" .. story() .. "{page}")\nend'
    )
    names = [author_name(i) for i in range(N_POSTERS)]
    post_fn = (
        f"local names = {{{_lua_list(names)}}}\n"
        "function post_request()\n"
        '  local b = string.format(\'{"text":"%s","author":"%s"}\', body(),'
        " names[math.random(#names)])\n"
        '  return wrk.format("POST", "/new?uri=/" .. story(),'
        ' {["Content-Type"]="application/json"}, b)\nend'
    )
    return {
        "read_20": lua_static("GET", f"/?uri=/{story_key(STORY_20)}{page}"),
        "read_500": lua_static("GET", f"/?uri=/{story_key(STORIES_500[0])}{page}"),
        "counts_100": lua_static(
            "POST", "/count", json.dumps(uris), {"Content-Type": "application/json"}
        ),
        "post": lua_dynamic([story_key(i) for i in POST_STORIES], 1.0, read_fn, post_fn),
        "mixed_95_5": lua_dynamic([story_key(i) for i in MIXED_STORIES], 0.05, read_fn, post_fn),
    }


class RssSampler:
    """Peak resident memory of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> int:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        total = 0
        todo = [self.pid]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
            except OSError:
                pass
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process tree (live processes only)."""
        tick = os.sysconf("SC_CLK_TCK")
        children: dict[int, list[int]] = {}
        times: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
            times[int(entry)] = int(fields[11]) + int(fields[12])
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            total += times.get(pid, 0)
        return total / tick

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.interval)


def run_wrk(url: str, script: Path, seconds: float, connections: int) -> dict[str, Any]:
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 60, check=False
    ).stdout
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"wrk gave no result:\n{out}")


def drain(pid: int, limit: float = 90) -> float:
    """Wait until the server tree is idle: a slow server still works off the requests
    of connections wrk has closed, which would otherwise be charged to the next run."""
    sampler = RssSampler(pid)
    start = time.monotonic()
    before = sampler.cpu_seconds()
    while time.monotonic() - start < limit:
        time.sleep(0.5)
        now = sampler.cpu_seconds()
        if now - before < 0.05:  # under 10% of one core
            break
        before = now
    return time.monotonic() - start


def measure(
    server: Server, name: str, lua: str, args: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    script = tmp / f"{server.label}-{name}.lua"
    script.write_text(lua)
    drained = drain(server.proc.pid)
    if args.warmup > 0:
        run_wrk(server.url, script, args.warmup, args.connections)
        drained += drain(server.proc.pid)
    load_before = Path("/proc/loadavg").read_text().split()[0]
    with RssSampler(server.proc.pid) as rss:
        cpu0 = rss.cpu_seconds()
        raw = run_wrk(server.url, script, args.duration, args.connections)
        cpu = rss.cpu_seconds() - cpu0
        rss.peak = max(rss.peak, rss.sample())
    seconds = raw["duration_us"] / 1e6
    errors = raw["status"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    row = {
        "server": server.label,
        "scenario": name,
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "errors_detail": {k: raw[k] for k in ("status", "connect", "read", "write", "timeout")},
        "bytes_per_response": raw["bytes"] / raw["requests"] if raw["requests"] else 0,
        "peak_rss_mib": rss.peak / 2**20,
        # CPU time the server spent per request: less sensitive than req/s to other
        # load on a shared machine (the load average before the run is recorded too).
        "server_cpu_ms_per_request": cpu * 1000 / raw["requests"] if raw["requests"] else None,
        "server_cpu_cores": cpu / seconds if seconds else 0.0,
        "loadavg_1m_before": float(load_before),
        "drain_seconds_before": round(drained, 1),
    }
    print(
        f"  {server.label:<16} {name:<11} {row['rps']:>9.1f} req/s  p50 {row['p50_ms']:>8.2f} ms"
        f"  p99 {row['p99_ms']:>8.2f} ms  errors {errors:<5} rss {row['peak_rss_mib']:>6.0f} MiB"
        f"  {row['bytes_per_response'] / 1024:>6.1f} KiB/resp"
        f"  cpu {row['server_cpu_ms_per_request'] or 0:>7.2f} ms/req"
        f" ({row['server_cpu_cores']:.2f} cores)"
        f"  load {load_before}",
        flush=True,
    )
    return row


# ------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, label: str, cmd: list[str], env: dict[str, str], log: Path, port: int):
        self.label = label
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._fh = log.open("w")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=env.get("BENCH_CWD", str(ROOT)),
        )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + path, timeout=2):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        tail = self.log.read_text()[-3000:]
        raise RuntimeError(f"{self.label} did not start on {self.url}:\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._fh.close()


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def ensure_isso_venv() -> Path:
    py = ISSO_VENV / "bin" / "python"
    if not (ISSO_VENV / ".installed").exists():
        print(f"== installing {' '.join(ISSO_PACKAGES)} into {ISSO_VENV}", flush=True)
        venv.create(ISSO_VENV, with_pip=True, clear=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", *ISSO_PACKAGES], check=True)
        (ISSO_VENV / ".installed").touch()
    return py


ISSO_CONF = """[general]
dbpath = {db}
host = http://127.0.0.1:{port}/
max-age = 15m
notify = stdout
gravatar = false

[moderation]
enabled = false

[server]
listen = http://127.0.0.1:{port}/

[guard]
enabled = false
"""


def start_isso(tmp: Path, workers: int) -> tuple[Server, Path]:
    py = ensure_isso_venv()
    port = free_port()
    db = tmp / "isso.db"
    conf = tmp / "isso.cfg"
    conf.write_text(ISSO_CONF.format(db=db, port=port))
    env = {**os.environ, "ISSO_SETTINGS": str(conf), "BENCH_CWD": str(tmp)}
    cmd = [
        str(py.parent / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--preload",
        "--log-level",
        "warning",
        "isso.run",
    ]
    server = Server("isso", cmd, env, tmp / "isso.log", port)
    server.wait_ready("/info")
    return server, db


def townhall_env(tmp: Path, database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TOWNHALL_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=database_url,
        TOWNHALL_DATA_DIR=str(tmp),
        TOWNHALL_ALLOWED_HOSTS="127.0.0.1",
        TOWNHALL_SECRET_KEY="bench-secret-key-" + "x" * 40,
        # Isso runs with its guard (rate limits) off; townhall's per-author limit is set
        # out of reach (200 authors share ~100 posts/s), but still counts every post,
        # as the duplicate check (on: every body is unique) still looks at each.
        TOWNHALL_POST_RATE_PER_MINUTE="1000000",
        DJANGO_SETTINGS_MODULE="townhall.settings",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def prepare_townhall(env: dict[str, str], tmp: Path) -> list[str]:
    """Migrate, create the site, seed; return the posters' API tokens."""

    def th(*argv: str) -> str:
        return subprocess.run(
            [str(BIN / "townhall"), *argv],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout

    th("migrate", "--no-input")
    th("createsite", SITE, "--name", "Bench Gazette", "--origin", "http://127.0.0.1")
    tokens_file = tmp / "tokens.txt"
    subprocess.run(
        [str(BIN / "python"), "-m", "bench.http", "seed-townhall", str(tokens_file)],
        env=env,
        check=True,
        cwd=ROOT,
        timeout=600,
    )
    return tokens_file.read_text().split()


def start_townhall(label: str, env: dict[str, str], tmp: Path, workers: int) -> Server:
    port = free_port()
    cmd = [
        str(BIN / "townhall"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    server = Server(label, cmd, env, tmp / f"{label}.log", port)
    server.wait_ready("/api/v1/health")
    return server


BARE_APP = """
from pathlib import Path

BODY = (Path(__file__).parent / "payload.json").read_bytes()
HEADERS = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
"""


def start_bare(tmp: Path, payload: bytes, workers: int) -> Server:
    app_dir = tmp / "bare"
    app_dir.mkdir()
    (app_dir / "payload.json").write_bytes(payload)
    (app_dir / "bare_asgi.py").write_text(BARE_APP)
    port = free_port()
    cmd = [
        str(BIN / "python"),
        "-m",
        "granian",
        "--interface",
        "asginl",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-ws",
        "bare_asgi:app",
    ]
    env = {**os.environ, "PYTHONPATH": str(app_dir), "BENCH_CWD": str(app_dir)}
    server = Server("bare-asgi", cmd, env, tmp / "bare.log", port)
    server.wait_ready("/")
    return server


# ------------------------------------------------------------------------ the run


def sanity_posts(server: Server, kind: str, token: str = "") -> list[Any]:
    """A few posts before the load, to record what the server answers (status, decision)."""
    out = []
    for i in range(3):
        body = f"Reader note sanity-{i}: the bridge story deserves a follow up, thanks."
        if kind == "isso":
            code, data, _ = http(
                "POST", f"{server.url}/new?uri=/{story_key(150 + i)}", {"text": body}
            )
            out.append([code, json.loads(data).get("mode") if code < 300 else data[:200].decode()])
        else:
            code, data, _ = http(
                "POST",
                f"{server.url}/api/v1/comments",
                {"site": SITE, "story": story_key(150 + i), "body": body},
                {"Authorization": f"Bearer {token}"},
            )
            parsed = json.loads(data)
            out.append([code, parsed.get("status", parsed)])
    return out


def run_scenarios(
    server: Server, scripts: dict[str, str], args: argparse.Namespace, tmp: Path
) -> list[dict[str, Any]]:
    rows = []
    for name, lua in scripts.items():
        if args.scenarios and name not in args.scenarios:
            continue
        rows.append(measure(server, name, lua, args, tmp))
    return rows


def post_statuses_sqlite(db: Path, after_id: int) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return dict(
            con.execute(
                "SELECT status, COUNT(*) FROM comments_comment WHERE id > ? GROUP BY status",
                (after_id,),
            ).fetchall()
        )
    finally:
        con.close()


def townhall_run(
    label: str,
    database_url: str,
    redis_url: str | None,
    args: argparse.Namespace,
    tmp: Path,
    servers: list[Server],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    env = townhall_env(tmp, database_url, redis_url)
    print(f"== {label}: migrate, create site and poster, seed", flush=True)
    t0 = time.monotonic()
    tokens = prepare_townhall(env, tmp)
    info: dict[str, Any] = {"seed_seconds": round(time.monotonic() - t0, 1), "posters": len(tokens)}
    server = start_townhall(label, env, tmp, args.workers)
    servers.append(server)
    info["sanity_posts"] = sanity_posts(server, "townhall", tokens[0])
    _, body, headers = http(
        "GET", f"{server.url}/api/v1/comments?site={SITE}&story={story_key(STORY_20)}"
    )
    info["read_20_bytes"] = len(body)
    info["read_20_headers"] = {k: v for k, v in headers.items() if k.lower() != "date"}
    info["read_20_payload"] = body.decode()
    print(f"== {label}: load, {args.connections} connections", flush=True)
    rows = run_scenarios(server, townhall_scripts(tokens), args, tmp)
    server.stop()
    info["server_log_errors"] = log_errors(server.log)
    return rows, info


def log_errors(log: Path, keep: int = 12) -> dict[str, Any]:
    """The distinct error lines of a server log (the log itself goes with the temp dir)."""
    counts: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        if "Error" in line or "error" in line or "Exception" in line:
            text = line.strip()[:300]
            counts[text] = counts.get(text, 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:keep]
    return {"lines_with_errors": sum(counts.values()), "top": top}


def seeded_total() -> int:
    return sum(story_sizes()) + BIG_COMMENTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    # Isso's documentation serves it with ``gunicorn -w 4 --preload isso.run``; every
    # server here gets that many workers.
    parser.add_argument("--workers", type=int, default=ISSO_RECOMMENDED_WORKERS)
    parser.add_argument("--skip-pg", action="store_true", help="no PostgreSQL + Redis run")
    parser.add_argument("--skip-isso", action="store_true")
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--scenarios", nargs="*", default=[], help="only these scenarios")
    parser.add_argument("--pg-url", default="postgres://127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("== installing wrk (Debian package)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = datetime.now(UTC)
    tmp = Path(tempfile.mkdtemp(prefix="townhall-bench-http-"))
    servers: list[Server] = []
    pg_db: str | None = None
    result: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "workers": args.workers,
            "load_generator": subprocess.run(
                ["wrk", "--version"], capture_output=True, text=True, check=False
            ).stdout.splitlines()[0:1],
        },
        "data": {
            "stories": N_STORIES,
            "comments": sum(story_sizes()),
            "townhall_extra_story_comments": BIG_COMMENTS,
        },
        "rows": [],
        "info": {},
    }
    try:
        # ---- Isso
        if not args.skip_isso:
            print("== isso: install (once), start gunicorn, seed", flush=True)
            isso, isso_db = start_isso(tmp, args.workers)
            servers.append(isso)
            seed_isso(isso_db)
            result["info"]["isso"] = {
                "version": subprocess.run(
                    [
                        str(ISSO_VENV / "bin" / "python"),
                        "-c",
                        "import isso;print(isso.__version__)",
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.strip(),
                "sanity_posts": sanity_posts(isso, "isso"),
            }
            print(f"== isso: load, {args.connections} connections", flush=True)
            result["rows"] += run_scenarios(isso, isso_scripts(), args, tmp)
            isso.stop()

        # ---- townhall on SQLite (the main run)
        sq_dir = tmp / "sqlite"
        sq_dir.mkdir()
        db = sq_dir / "townhall.sqlite3"
        rows, info = townhall_run("townhall-sqlite", f"sqlite:///{db}", None, args, sq_dir, servers)
        info["post_decisions"] = post_statuses_sqlite(db, seeded_total())
        result["rows"] += rows
        payload = info.pop("read_20_payload").encode()
        result["info"]["townhall-sqlite"] = info

        # ---- the ceiling: a bare ASGI app under the same granian, same bytes
        print("== bare ASGI app (granian), the same bytes as the 20-comment read", flush=True)
        bare = start_bare(tmp, payload, args.workers)
        servers.append(bare)
        result["rows"].append(
            measure(bare, "read_20", lua_static("GET", "/api/v1/comments"), args, tmp)
        )
        bare.stop()

        # ---- townhall on PostgreSQL + Redis, when reachable
        if not args.skip_pg:
            pg_db = _pg_create(args.pg_url)
            if pg_db is None or not _redis_ok(args.redis_url):
                print("== SKIPPED PostgreSQL + Redis: not reachable", flush=True)
                result["info"]["townhall-pg"] = {"skipped": "PostgreSQL or Redis not reachable"}
            else:
                pg_dir = tmp / "pg"
                pg_dir.mkdir()
                _redis_flush(args.redis_url)
                url = args.pg_url.rsplit("/", 1)[0] + "/" + pg_db
                rows, info = townhall_run("townhall-pg", url, args.redis_url, args, pg_dir, servers)
                info.pop("read_20_payload")
                result["rows"] += rows
                result["info"]["townhall-pg"] = info
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        return 130
    finally:
        for s in servers:
            s.stop()
        if pg_db:
            _pg_drop(args.pg_url, pg_db)
            _redis_flush(args.redis_url)
        shutil.rmtree(tmp, ignore_errors=True)

    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["summary"] = summarise(result["rows"])
    report(result)
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"http-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    shutil.copyfile(out, RESULTS / "latest.json")
    print(f"results: {out.relative_to(ROOT)} (and bench/results/latest.json)")
    if not args.no_chart:
        chart(result, CHART)
        print(f"chart: {CHART.relative_to(ROOT)}")
    return 0


def _pg_create(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3, autocommit=True) as con:
            name = f"townhall_bench_{os.getpid()}"
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
            return name
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        print(f"PostgreSQL at {url}: {exc}", file=sys.stderr)
        return None


def _pg_drop(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, connect_timeout=3, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis_ok(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except Exception:  # noqa: BLE001
        return False


def _redis_flush(url: str) -> None:
    with contextlib.suppress(Exception):
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()


# --------------------------------------------------------------------- reporting

TARGETS = {
    "read_20": ("rps ratio >= 20x", 20.0),
    "read_500": ("rps ratio >= 100x and p99 <= 25 ms", 100.0),
    "counts_100": ("rps ratio >= 10x", 10.0),
    "post": ("rps ratio >= 3x", 3.0),
}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by = {(r["server"], r["scenario"]): r for r in rows}
    summary: dict[str, Any] = {"ratios": {}, "targets": {}}
    for th in ("townhall-sqlite", "townhall-pg"):
        for scenario in ("read_20", "read_500", "counts_100", "post", "mixed_95_5"):
            a, b = by.get((th, scenario)), by.get(("isso", scenario))
            if a and b and b["rps"]:
                summary["ratios"][f"{th}/{scenario}"] = round(a["rps"] / b["rps"], 2)
            if a and b and a["server_cpu_ms_per_request"] and b["server_cpu_ms_per_request"]:
                summary.setdefault("cpu_per_request_ratios", {})[f"isso/{th}/{scenario}"] = round(
                    b["server_cpu_ms_per_request"] / a["server_cpu_ms_per_request"], 2
                )
        for scenario, (text, need) in TARGETS.items():
            ratio = summary["ratios"].get(f"{th}/{scenario}")
            if ratio is None:
                continue
            ok = ratio >= need
            if scenario == "read_500":
                ok = ok and by[(th, scenario)]["p99_ms"] <= 25
            summary["targets"][f"{th}/{scenario}"] = {"target": text, "ratio": ratio, "met": ok}
        errors = sum(r["errors"] for r in rows if r["server"] == th)
        if any(r["server"] == th for r in rows):
            summary["targets"][f"{th}/no_errors"] = {"errors": errors, "met": errors == 0}
    bare = by.get(("bare-asgi", "read_20"))
    cached = by.get(("townhall-sqlite", "read_20"))
    if bare and cached and bare["rps"]:
        share = cached["rps"] / bare["rps"]
        summary["cached_read_vs_bare"] = round(share, 3)
        summary["targets"]["townhall-sqlite/cached_vs_bare"] = {
            "target": ">= 50% of the bare ASGI app",
            "share": round(share, 3),
            "met": share >= 0.5,
        }
    big = by.get(("townhall-sqlite", "read_5000"))
    if big and cached:
        summary["read_5000_vs_read_20"] = round(big["rps"] / cached["rps"], 3)
    return summary


def report(result: dict[str, Any]) -> None:
    rows = result["rows"]
    print()
    print(
        f"{'server':<16} {'scenario':<11} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}"
        f" {'errors':>7} {'peak RSS MiB':>13} {'cpu ms/req':>11} {'load':>5}"
    )
    for r in rows:
        print(
            f"{r['server']:<16} {r['scenario']:<11} {r['rps']:>10.1f} {r['p50_ms']:>9.2f}"
            f" {r['p99_ms']:>9.2f} {r['errors']:>7} {r['peak_rss_mib']:>13.0f}"
            f" {r['server_cpu_ms_per_request'] or 0:>11.2f} {r['loadavg_1m_before']:>5.1f}"
        )
    s = result["summary"]
    print("\ntownhall / Isso, requests per second:")
    for k, v in s["ratios"].items():
        print(f"  {k:<32} {v:>8.2f}x")
    if s.get("cpu_per_request_ratios"):
        print("\nIsso's server CPU per request / townhall's (higher: townhall cheaper):")
        for k, v in s["cpu_per_request_ratios"].items():
            print(f"  {k:<40} {v:>8.2f}x")
    if "cached_read_vs_bare" in s:
        print(f"\ncached 20-comment read vs bare ASGI app: {s['cached_read_vs_bare']:.1%}")
    if "read_5000_vs_read_20" in s:
        print(
            f"5,000-comment story first page vs 20-comment story: {s['read_5000_vs_read_20']:.1%}"
        )
    print("\ntargets:")
    for k, v in s["targets"].items():
        print(f"  {'MET   ' if v['met'] else 'MISSED'} {k:<36} {v}")


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    scenarios = ["read_20", "read_500", "read_5000", "counts_100", "post", "mixed_95_5"]
    servers = ["isso", "townhall-sqlite", "townhall-pg", "bare-asgi"]
    colours = {
        "isso": "#999999",
        "townhall-sqlite": "#1f77b4",
        "townhall-pg": "#2ca02c",
        "bare-asgi": "#ff7f0e",
    }
    by = {(r["server"], r["scenario"]): r for r in rows}
    present = [s for s in servers if any(r["server"] == s for r in rows)]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 8), constrained_layout=True)
    width = 0.8 / max(1, len(present))
    for i, server in enumerate(present):
        xs, rps, p99 = [], [], []
        for j, sc in enumerate(scenarios):
            r = by.get((server, sc))
            if r:
                xs.append(j + (i - (len(present) - 1) / 2) * width)
                rps.append(r["rps"])
                p99.append(r["p99_ms"])
        bars = ax1.bar(xs, rps, width, label=server, color=colours[server])
        ax1.bar_label(
            bars,
            labels=[f"{v:,.0f}" if v >= 10 else f"{v:.2g}" for v in rps],
            fontsize=7,
            rotation=90,
            padding=2,
        )
        ax2.bar(xs, p99, width, label=server, color=colours[server])
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(scenarios)), scenarios)
        ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    ax1.set_ylim(top=ax1.get_ylim()[1] * 6)
    ax2.axhline(25, color="#d62728", linestyle="--", linewidth=1)
    ax2.annotate("25 ms", (len(scenarios) - 0.6, 27), color="#d62728", fontsize=8)
    ax1.set_ylabel("requests / s (log)")
    ax1.legend(ncols=4, loc="upper right", fontsize=8)
    ax2.set_ylabel("p99 latency, ms (log)")
    st = result["settings"]
    ax1.set_title(
        f"townhall vs Isso — {st['connections']} connections, {st['workers']} workers, "
        f"{st['duration_s']:.0f} s per scenario, 2-core machine, wrk on 127.0.0.1"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed-townhall"]:
        seed_townhall(Path(sys.argv[2]))
        sys.exit(0)
    if sys.argv[1:2] == ["chart"]:  # redraw from a results file (default: latest.json)
        source = Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS / "latest.json"
        chart(json.loads(source.read_text()), CHART)
        sys.exit(0)
    sys.exit(main())
