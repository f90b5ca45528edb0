"""A real townhall demo server and headless Chromium, talking HTTP only.

These tests never touch pytest-django's database: the server under test runs
``townhall demo`` in a subprocess on its own SQLite file.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.browser.processes import TOWNHALL, free_port, start, stop, wait_healthy


@dataclass(frozen=True)
class DemoServer:
    url: str
    env: dict[str, str]

    def townhall(self, *args: str) -> str:
        """Run another ``townhall`` command against the server's database."""
        done = subprocess.run(
            [str(TOWNHALL), *args], env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout


# The demo site runs with the classifier's thresholds out of reach (as tests/conftest.py
# does for the Gazette), so these tests do not hinge on the model of the day's scores
# for their made-up texts. The nudge test judges on a site of its own, on the defaults.
_CLASSIFIER_OFF = """
from townhall.moderation.types import ATTRIBUTES
from townhall.sites.models import Site

off = dict.fromkeys(ATTRIBUTES, 1.01)
Site.objects.filter(slug="demo").update(hold_thresholds=off, reject_thresholds=off)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A fresh ``townhall demo`` on a free port for each test file: files assume the
    demo as it starts ("(1) comment"), and sign-up limits count per server."""
    tmp = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
        "TOWNHALL_DATA_DIR": str(tmp),
        "TOWNHALL_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("TOWNHALL_CACHE", None)  # as in production: shared by every process
    log = tmp / "server.log"
    proc = start(["demo", "--port", str(port), "--workers", "1"], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{base}/api/v1/health", proc, log)
        demo = DemoServer(base, env)
        demo.townhall("shell", "-c", _CLASSIFIER_OFF)
        yield demo
    finally:
        stop(proc)


@pytest.fixture
def page(browser):
    """A 1200px-wide tab; the test fails if the page or the iframe logs an error (CSP too)."""
    # Reduced motion: the publisher's page then jumps to a comment instead of gliding,
    # so a test never clicks while the page is still gliding under the pointer.
    context = browser.new_context(viewport={"width": 1200, "height": 900}, reduced_motion="reduce")
    p = context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.console_errors = errors
    yield p
    context.close()
    # A failed log-in answers 401, which Chromium logs as a failed resource load.
    unexpected = [e for e in errors if "status of 401" not in e]
    assert not unexpected, f"errors in the browser console: {unexpected}"


@pytest.fixture(scope="module")
def demo_server(server: DemoServer) -> str:
    """Base URL of the demo server."""
    return server.url


@dataclass
class Publisher:
    """A news site on its own origin: serves whatever HTML a test puts in ``pages``."""

    origin: str
    pages: dict[str, str]


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    pages: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = pages.get(self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            html = (
                "<!doctype html><html lang='en'><title>Publisher</title>"
                f"<link rel='icon' href='data:,'><body>{body}</body></html>"
            )
            data = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        # "localhost", so the publisher and townhall (127.0.0.1) are different sites.
        yield Publisher(f"http://localhost:{httpd.server_address[1]}", pages)
    finally:
        httpd.shutdown()
        httpd.server_close()
