"""``townhall evaluate``: score the model on the validation splits and write the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from townhall.moderation.cli import evaluate


class Command(BaseCommand):
    help = "Evaluate the moderation model; writes docs/moderation/evaluation.md and curves."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--datasets", type=Path, help="data sets directory")
        parser.add_argument("--out", type=Path, help="report directory")
        parser.add_argument("--model", type=Path, help="model directory (default: shipped)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = evaluate(options["datasets"], options["out"], options["model"], self.stdout)
        self.stdout.write(f"report written to {report}")
