"""``townhall train``: rebuild the shipped moderation model from the labelled data sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townhall.moderation.cli import train


class Command(BaseCommand):
    help = "Deterministically retrain the moderation classifier from ../shared/datasets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--datasets", type=Path, help="data sets directory")
        parser.add_argument("--out", type=Path, help="model directory to write")
        parser.add_argument("--no-progress", action="store_true")
        sentence = parser.add_mutually_exclusive_group()
        sentence.add_argument(
            "--finetune",
            action="store_true",
            default=None,
            help="fine-tune the sentence model (the default when the train extra, torch, "
            "is installed)",
        )
        sentence.add_argument(
            "--keep-sentence-model",
            dest="finetune",
            action="store_false",
            help="keep the shipped sentence model; rebuild only the linear model and the blend",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = train(
                options["datasets"],
                options["out"],
                progress=not options["no_progress"],
                finetune=options["finetune"],
            )
        except ImportError as exc:
            raise CommandError(
                f"fine-tuning needs the train extra, pinned in requirements-train.txt "
                f"(make install-train): {exc}"
            ) from exc
        self.stdout.write(summary)
