"""``townhall serve``: the production ASGI server (granian), one worker per core."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve townhall with granian (ASGI), one worker per CPU core by default."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("TOWNHALL_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TOWNHALL_PORT", 8000)))
        parser.add_argument(
            "--workers", type=int, default=0, help="Worker processes (default: CPU cores)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        workers = opts["workers"] or os.cpu_count() or 1
        argv = [
            sys.executable,
            "-m",
            "granian",
            # Django answers no ASGI lifespan events; without "nl" granian warns at every start.
            "--interface",
            "asginl",
            "--host",
            opts["host"],
            "--port",
            str(opts["port"]),
            "--workers",
            str(workers),
            "--no-ws",
            "townhall.asgi:application",
        ]
        self.stdout.write(f"townhall on http://{opts['host']}:{opts['port']} ({workers} workers)")
        self.stdout.flush()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townhall.settings")
        # Workers are separate processes: they pool their metrics in files here.
        metrics_dir = Path(settings.DATA_DIR) / "metrics" / str(opts["port"])
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server
