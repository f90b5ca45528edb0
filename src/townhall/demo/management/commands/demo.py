"""``townhall demo``: migrate, load the demo paper into a new database, and serve it."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from townhall.demo import data
from townhall.sites.models import Site


class Command(BaseCommand):
    help = (
        "Run migrations, load the demo site (only into a database with no sites yet) "
        "and serve it on http://HOST:PORT/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("TOWNHALL_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TOWNHALL_PORT", 8000)))
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo site and everything under it, then load it afresh.",
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare the database and stop."
        )
        parser.add_argument(
            "--workers", type=int, default=0, help="Server worker processes (default: CPU cores)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        port = opts["port"]
        if opts["reset"]:
            data.unload()
            data.load(port)
            self.stdout.write(f"Demo site {data.SLUG!r} loaded afresh.")
        elif not Site.objects.exists():
            data.load(port)
            self.stdout.write(f"Demo site {data.SLUG!r} loaded.")
        else:
            # Never write demo data into a database that is already in use.
            self.stdout.write("Sites exist already; demo data not loaded (use --reset).")
        if opts["no_serve"]:
            return
        self.stdout.write(f"Open http://{opts['host']}:{port}/ for the demo article.")
        self.stdout.flush()
        serve: dict[str, Any] = {"host": opts["host"], "port": port}
        if opts["workers"]:
            serve["workers"] = opts["workers"]
        call_command("serve", **serve)
