"""Plain functions behind ``townhall moderate``, ``townhall train`` and ``townhall evaluate``.

The Django management commands only parse arguments and call these, so the
commands can be tested and used without a database.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from townhall.moderation.types import Context, Policy

__all__ = ["BATCH_SIZE", "evaluate", "moderate", "train"]

BATCH_SIZE = 256


def _parse(line: str) -> tuple[Any, str | None, str | None]:
    """Return ``(id, text, error)`` for one input line."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(item, dict):
        return None, None, "each line must be a JSON object"
    text = item.get("text")
    if not isinstance(text, str):
        return item.get("id"), None, 'missing or non-string "text"'
    return item.get("id"), text, None


def _batches(lines: IO[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def moderate(
    stdin: IO[str],
    stdout: IO[str],
    policy: Policy | None = None,
    context: Context | None = None,
    batch_size: int = BATCH_SIZE,
    second_tier: bool = True,
) -> int:
    """Judge JSON lines ``{"id", "text"}`` from ``stdin``; write one JSON line each.

    Output lines are ``{"id", "decision", "scores", "reasons", "spans"}`` in
    input order; a line that cannot be read gives ``{"id": null, "error": "…"}``
    (``id`` is kept when the line was an object with an id but no text).
    Blank lines are skipped. Memory stays flat: lines are read, judged and
    flushed ``batch_size`` at a time. Without ``second_tier`` only the linear
    model scores (many times faster, less accurate). Returns the number of
    lines with errors.
    """
    from townhall.moderation.engine import Engine, get_engine

    engine = get_engine()
    if not second_tier:
        engine = Engine(engine.classifier)
    policy = policy or Policy()
    errors = 0
    for batch in _batches(stdin, batch_size):
        parsed = [_parse(line) for line in batch]
        texts = [text for _, text, _ in parsed if text is not None]
        verdicts = iter(engine.judge_many(texts, policy, context))
        out = []
        for ident, text, error in parsed:
            if text is None:
                errors += 1
                ident = ident if isinstance(ident, str | int) else None
                out.append(json.dumps({"id": ident, "error": error}))
            else:
                out.append(json.dumps({"id": ident, **next(verdicts).to_dict()}))
        stdout.write("\n".join(out) + "\n")
        stdout.flush()
    return errors


def train(
    datasets: Path | None = None,
    out: Path | None = None,
    progress: bool = True,
    finetune: bool | None = None,
) -> str:
    """Rebuild the model from ``datasets`` into ``out`` (the shipped model dir).

    The sentence model is fine-tuned when ``finetune`` is true, by default when the
    ``train`` extra (torch) is installed; otherwise the shipped one is kept and
    only the linear model and the blend weights are rebuilt.

    Returns a one-line summary with the SHA-256 of the weights.
    Raises ``FileNotFoundError`` when a data set is missing, ``ImportError`` when
    ``finetune`` is asked for without torch.
    """
    from townhall.moderation.classifier import MODEL_DIR
    from townhall.moderation.datasets import default_datasets_dir
    from townhall.moderation.training import train_model

    datasets = datasets or default_datasets_dir()
    out = out or MODEL_DIR
    summary = train_model(datasets, out, show_progress=progress, finetune=finetune)
    rows = sum(summary.rows_per_source.values())
    return f"trained on {rows} rows; wrote {out} (weights sha256 {summary.sha256})"


def evaluate(
    datasets: Path | None = None,
    out: Path | None = None,
    model: Path | None = None,
    stream: IO[str] | None = None,
) -> Path:
    """Evaluate the model on every validation split; write the report and curves.

    Returns the path of the Markdown report (``out/evaluation.md``).
    """
    from townhall.moderation.evaluation import run_evaluation

    return run_evaluation(datasets=datasets, out=out, model=model, stream=stream or sys.stdout)
