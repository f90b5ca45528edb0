"""``townhall train``: rebuild the shipped moderation model from the labelled data sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from townhall.moderation.cli import train


class Command(BaseCommand):
    help = "Deterministically retrain the moderation classifier from ../shared/datasets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--datasets", type=Path, help="data sets directory")
        parser.add_argument("--out", type=Path, help="model directory to write")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--embeddings-cache", type=Path, help="where sentence embeddings are kept between runs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = train(
            options["datasets"],
            options["out"],
            progress=not options["no_progress"],
            embeddings_cache=options["embeddings_cache"],
        )
        self.stdout.write(summary)
