"""``townhall export FILE``: everything, as JSON lines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from townhall.sites import transfer


class Command(BaseCommand):
    help = "Write every site, story, account, comment, report and decision to FILE (JSON lines)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write; - for standard output")

    def handle(self, *args: Any, **opts: Any) -> None:
        total = transfer.count()
        if opts["file"] == "-":
            transfer.export(self.stdout._out)  # type: ignore[attr-defined]
            return
        with (
            open(opts["file"], "w", encoding="utf-8") as out,
            tqdm(total=total, unit="obj", desc="export", disable=opts["verbosity"] == 0) as bar,
        ):
            written = transfer.export(out, bar.update)
        self.stderr.write(f"exported {written} objects to {opts['file']}")
