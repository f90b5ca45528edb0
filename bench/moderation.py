"""Benchmark: townhall's moderation engine against alt-profanity-check, on one CPU core.

Usage::

    .venv/bin/python bench/moderation.py [--n 4000] [--single 500]

Creates (once) a separate virtual environment ``bench/.venv-peer`` with
alt-profanity-check from PyPI, then measures on the same texts, each side
pinned to the same single core:

* batch throughput (comments per second of wall-clock time and per second
  of CPU time), and
* single-comment latency (p50 and p99, milliseconds, wall-clock and CPU),

for townhall's ``Engine.judge_many`` / ``Engine.judge`` (normalisation, rules,
classifier, spans) with both tiers and with the linear first tier alone, and
for alt-profanity-check's ``predict_prob``; then ``townhall moderate``'s whole
path (JSON lines in and out) in one process on that core, and with one worker
process per core on all of them. Both tiers read every comment: the
sentence model's cost grows with a comment's length in word pieces, up to its cut.
CPU-time figures are robust to other processes competing for the core;
wall-clock figures are what a user waits. Texts come from the validation
splits in ``../shared/datasets`` when present, otherwise from a small
built-in sample. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Run as a script, this folder comes first on sys.path; its sibling modules
# (bench/http.py) must not shadow the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
PEER_VENV = HERE / ".venv-peer"
PEER_PACKAGE = "alt-profanity-check"

PEER_SCRIPT = r"""
import json, os, sys, time
os.sched_setaffinity(0, {int(sys.argv[2])})
from profanity_check import predict_prob
texts = json.load(open(sys.argv[1]))
single = int(sys.argv[3])
predict_prob(texts[:50])  # warm up
start, cpu = time.perf_counter(), time.process_time()
for i in range(0, len(texts), 256):
    predict_prob(texts[i:i + 256])
batch_s, batch_cpu = time.perf_counter() - start, time.process_time() - cpu
lat, lat_cpu = [], []
for t in texts[:single]:
    s, c = time.perf_counter(), time.thread_time()
    predict_prob([t])
    lat.append((time.perf_counter() - s) * 1000)
    lat_cpu.append((time.thread_time() - c) * 1000)
print(json.dumps({"batch_s": batch_s, "batch_cpu": batch_cpu, "n": len(texts),
                  "latency_ms": lat, "latency_cpu_ms": lat_cpu}))
"""


def _texts(n: int) -> list[str]:
    from townhall.moderation.datasets import LABEL_MAP, default_datasets_dir, load_source

    root = default_datasets_dir()
    texts: list[str] = []
    if (root / "jigsaw_toxic_10k").exists():
        for source in LABEL_MAP:
            texts += [e.text for e in load_source(root, source) if e.validation]
    else:
        texts = [
            "Thanks for the clear reporting on the council budget.",
            "You are a complete idiot and everyone knows it.",
            "Check out my channel http://example.com for free stuff!!!",
        ]
    # Interleave sources deterministically so every prefix is a mix.
    texts = [texts[(i * 7919) % len(texts)] for i in range(len(texts))]
    while len(texts) < n:
        texts += texts
    return texts[:n]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ensure_peer() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEER_VENV} with {PEER_PACKAGE} …", flush=True)
        venv.create(PEER_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", PEER_PACKAGE], check=True)
    return python


def _ours(texts: list[str], single: int, core: int, second_tier: bool) -> dict[str, float]:
    os.sched_setaffinity(0, {core})
    from townhall.moderation import get_engine
    from townhall.moderation.engine import Engine

    engine = get_engine()
    if not second_tier:
        engine = Engine(engine.classifier)
    engine.judge_many(texts[:50])  # warm up caches
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 256):
        engine.judge_many(texts[i : i + 256])
    batch_s, batch_cpu = time.perf_counter() - start, time.process_time() - cpu
    lat, lat_cpu = [], []
    for t in texts[:single]:
        s, c = time.perf_counter(), time.process_time()
        engine.judge(t)
        lat.append((time.perf_counter() - s) * 1000)
        lat_cpu.append((time.process_time() - c) * 1000)
    return _summary(len(texts), batch_s, batch_cpu, lat, lat_cpu)


def _moderate_command(texts: list[str], workers: int, core: int | None) -> float:
    """Comments per second of wall-clock time through ``townhall moderate``'s own
    function (JSON lines in and out), model loading included; pinned to ``core``,
    or free on every core."""
    import io

    from townhall.moderation.cli import moderate

    # Worker processes inherit the affinity of the process that starts them.
    os.sched_setaffinity(0, {core} if core is not None else range(os.cpu_count() or 1))
    lines = "\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate(texts))
    start = time.perf_counter()
    moderate(io.StringIO(lines), io.StringIO(), workers=workers)
    return len(texts) / (time.perf_counter() - start)


def _summary(
    n: int, batch_s: float, batch_cpu: float, lat: list[float], lat_cpu: list[float]
) -> dict[str, float]:
    return {
        "per_s": n / batch_s,
        "per_cpu_s": n / batch_cpu,
        "p50": statistics.median(lat),
        "p99": _pct(lat, 0.99),
        "cpu_p50": statistics.median(lat_cpu),
        "cpu_p99": _pct(lat_cpu, 0.99),
    }


def _peer(texts: list[str], single: int, core: int) -> dict[str, float]:
    data = run_peer(PEER_SCRIPT, texts, str(core), str(single))
    return _summary(
        data["n"], data["batch_s"], data["batch_cpu"], data["latency_ms"], data["latency_cpu_ms"]
    )


def run_peer(script: str, texts: list[str], *args: str) -> Any:
    """Run ``script`` in the peer's environment on one thread, with the path of a
    JSON file holding ``texts`` and then ``args`` as its arguments; return the
    JSON of the last line it prints."""
    python = _ensure_peer()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(texts, fh)
        path = fh.name
    try:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        proc = subprocess.run(
            [str(python), "-c", script, path, *args],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    finally:
        os.unlink(path)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4000, help="texts for the batch run")
    parser.add_argument("--single", type=int, default=500, help="texts for latency")
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin to")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    texts = _texts(args.n)
    mean_len = statistics.mean(len(t) for t in texts)
    print(f"{len(texts)} texts, mean length {mean_len:.0f} chars, core {args.core}")
    peer = _peer(texts, args.single, args.core)
    ours = _ours(texts, args.single, args.core, second_tier=True)
    first = _ours(texts, args.single, args.core, second_tier=False)
    cores = os.cpu_count() or 1
    command_one = _moderate_command(texts, 1, args.core)
    command_all = _moderate_command(texts, cores, None)
    print(f"load average at start: {os.getloadavg()[0]:.1f} (wall-clock figures suffer when high)")
    head = ("comments/s", "per CPU-s", "p50 ms", "p99 ms", "cpu p50", "cpu p99")
    print(f"{'':24}" + "".join(f"{h:>11}" for h in head))
    rows = (
        ("townhall (both tiers)", ours),
        ("townhall (first tier)", first),
        ("alt-profanity-check", peer),
    )
    for name, row in rows:
        keys = ("per_s", "per_cpu_s", "p50", "p99", "cpu_p50", "cpu_p99")
        print(f"{name:24}" + "".join(f"{row[k]:11.2f}" for k in keys))
    for name, row in rows[:2]:
        print(
            f"ratios {name}/peer: throughput {row['per_s'] / peer['per_s']:.2f}x "
            f"(CPU {row['per_cpu_s'] / peer['per_cpu_s']:.2f}x), "
            f"p50 {row['p50'] / peer['p50']:.2f}x, p99 {row['p99'] / peer['p99']:.2f}x "
            f"(CPU p99 {row['cpu_p99'] / peer['cpu_p99']:.2f}x)"
        )
    print(
        f"townhall moderate (JSON lines, both tiers, model loading included): "
        f"{command_one:.0f}/s in one process on core {args.core}; "
        f"{command_all:.0f}/s with --workers {cores} on all {cores} cores "
        f"({command_all / command_one:.2f}x)"
    )


if __name__ == "__main__":
    main()
