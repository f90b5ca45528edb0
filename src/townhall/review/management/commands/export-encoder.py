"""``townhall export-encoder``: re-export the second tier's sentence encoder (needs the
``train`` extra; the exported files ship with townhall, so most installs never run it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townhall.moderation.classifier import MODEL_DIR


class Command(BaseCommand):
    help = "Export all-MiniLM-L6-v2 to an int8 ONNX file and its tokenizer, for the second tier."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model directory")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from townhall.moderation.encoder_export import export_encoder

            onnx_path, tokenizer = export_encoder(options["out"])
        except ImportError as exc:
            raise CommandError(
                f"{exc.name or exc} is missing: pip install torch==2.13.0, then "
                "pip install -e '.[train]'"
            ) from exc
        size = onnx_path.stat().st_size / 1e6
        self.stdout.write(f"wrote {onnx_path} ({size:.1f} MB) and {tokenizer}")
        self.stdout.write("retrain the heads over it with: townhall train")
