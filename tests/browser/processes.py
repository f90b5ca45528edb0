"""Starting and stopping real townhall servers for the browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

TOWNHALL = Path(sys.executable).with_name("townhall")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Run ``townhall ARGS`` in its own process group (the server and its workers)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(TOWNHALL), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(
    url: str, proc: subprocess.Popen[bytes], log: Path | None = None, timeout: float = 60
) -> None:
    """Until ``url`` answers 200. Starting Django in each worker takes seconds, many
    more on a busy machine: the deadline is generous, and a server that died ends it."""
    deadline = time.monotonic() + timeout
    output = (lambda: "\n" + log.read_text(errors="replace")[-2000:]) if log else (lambda: "")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"townhall exited with {proc.returncode}:{output()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - our own server
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"townhall did not become healthy within {timeout:.0f} s:{output()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
