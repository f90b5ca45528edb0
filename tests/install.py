"""A throw-away townhall install, driven as its operator drives one: ``townhall``
commands and ``townhall serve`` in subprocesses, a data directory and a database URL.

Shared by the fault tests (tests/faults/app.py) and the soak test (bench/soak.py).
It imports neither pytest nor Django, so a script run from the repository root can
use it too; nothing here imports from bench/.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

TOWNHALL = str(Path(sys.executable).with_name("townhall"))
PASSWORD = "a long enough passphrase"  # noqa: S105 - throw-away accounts'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """``townhall serve`` in its own process group."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"townhall serve exited:\n{self.log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.api + "/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"townhall serve did not answer:\n{self.log.read_text()}")

    def kill9(self) -> None:
        """SIGKILL the server and every worker at once: no shutdown code runs."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Install:
    """One install: a data directory, a database and the environment to reach them.

    Limits that a handful of accounts posting for seconds or minutes would meet
    (the post rate, new-account rules, the duplicate window) are out of the way;
    ``env`` adds or overrides variables. Redis is left out unless ``REDIS_URL`` is given.
    """

    def __init__(self, data_dir: Path, database_url: str, **env: str) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TOWNHALL_DATA_DIR": str(data_dir),
            "TOWNHALL_SECRET_KEY": "throw-away-install-secret-key-long-enough-for-django",
            "TOWNHALL_POST_RATE_PER_MINUTE": "1000000",
            "TOWNHALL_NEW_ACCOUNT_HOURS": "0",
            "TOWNHALL_DUPLICATE_WINDOW_SECONDS": "0",
            **env,
        }
        if "REDIS_URL" not in env:
            self.env.pop("REDIS_URL", None)

    def run(
        self,
        *args: str,
        preexec: Callable[[], None] | None = None,
        prefix: Sequence[str] = (),
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, TOWNHALL, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=preexec,  # noqa: PLW1509 - single-threaded at this point
        )

    def must(self, *args: str) -> str:
        """Run a command that has to succeed; return its output."""
        done = self.run(*args)
        if done.returncode != 0:
            raise RuntimeError(f"townhall {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def create(
        self,
        site: str,
        site_name: str,
        accounts: Sequence[tuple[str, str, str]],
        *,
        origin: str = "",
        then: str = "",
    ) -> dict[str, list[str]]:
        """Create ``site`` and ``(name, role, group)`` accounts with API tokens, run the
        Python in ``then``; return the tokens by group, in the order given.

        One process does it all, through the commands an operator runs: starting
        Django costs seconds on a busy machine. The database must be migrated.
        """
        site_args = f", '--origin', {origin!r}" if origin else ""
        script = "\n".join(
            [
                "import io",
                "from django.core.management import call_command",
                f"call_command('createsite', {site!r}, '--name', {site_name!r}{site_args})",
                then,
                f"for name, role, group in {list(accounts)!r}:",
                "    out = io.StringIO()",
                # "Reader 0" on the site "paper" is reader0@paper.example.
                f"    email = name.lower().replace(' ', '') + '@{site}.example'",
                "    call_command('createuser', name, '--email', email,"
                f" '--password', {PASSWORD!r}, '--site', {site!r}, '--role', role,"
                " '--token', stdout=out)",
                "    print('TOKEN', group, out.getvalue().strip().splitlines()[-1])",
            ]
        )
        tokens: dict[str, list[str]] = {}
        for line in self.must("shell", "-c", script).splitlines():
            if line.startswith("TOKEN "):
                _, group, token = line.split()
                tokens.setdefault(group, []).append(token)
        return tokens

    def serve(
        self,
        workers: int = 2,
        *,
        preexec: Callable[[], None] | None = None,
        prefix: Sequence[str] = (),
        ready_within: float = 60,
    ) -> Server:
        port = free_port()
        log = self.data_dir / f"serve-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*prefix, TOWNHALL, "serve", "--port", str(port), "--workers", str(workers)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=preexec,  # noqa: PLW1509 - no threads in the child before exec
            )
        server = Server(proc, port, log)
        try:
            server.wait_healthy(ready_within)
        except RuntimeError:
            server.stop()
            raise
        return server

    def stored_comments(self) -> dict[int, str]:
        """Every comment in the database, id → body, read by the database's own client."""
        if self.database_url.startswith("sqlite:"):
            path = self.database_url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                return dict(conn.execute("SELECT id, body FROM comments_comment").fetchall())
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return dict(conn.execute("SELECT id, body FROM comments_comment").fetchall())
