"""Plain functions behind ``townhall moderate``, ``townhall train`` and ``townhall evaluate``.

The Django management commands only parse arguments and call these, so the
commands can be tested and used without a database.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from townhall.moderation.types import Context, Policy

if TYPE_CHECKING:
    from townhall.moderation.engine import Engine

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
    workers: int = 1,
    progress: IO[str] | None = None,
) -> int:
    """Judge JSON lines ``{"id", "text"}`` from ``stdin``; write one JSON line each.

    Output lines are ``{"id", "decision", "scores", "reasons", "spans"}`` in
    input order; a line that cannot be read gives ``{"id": null, "error": "…"}``
    (``id`` is kept when the line was an object with an id but no text).
    Blank lines are skipped. Memory stays flat: lines are read, judged and
    flushed ``batch_size`` at a time. Without ``second_tier`` only the linear
    model scores (many times faster, less accurate). With ``workers`` > 1,
    batches are judged by that many processes (one per core is the sensible
    most), a few batches ahead of the writer, and written in input order.
    ``progress``, when given, shows a count of lines judged (stderr, say).
    Returns the number of lines with errors.
    """
    if workers < 1 or batch_size < 1:
        raise ValueError("workers and batch_size must be at least 1")
    policy = policy or Policy()
    bar = None
    if progress is not None:
        from tqdm import tqdm

        bar = tqdm(file=progress, unit=" comments", desc="moderate")
    errors = 0
    try:
        for out, failed, lines in _judged(stdin, policy, context, batch_size, second_tier, workers):
            stdout.write(out)
            stdout.flush()
            errors += failed
            if bar is not None:
                bar.update(lines)
    finally:
        if bar is not None:
            bar.close()
    return errors


def _judged(
    stdin: IO[str],
    policy: Policy,
    context: Context | None,
    batch_size: int,
    second_tier: bool,
    workers: int,
) -> Iterator[tuple[str, int, int]]:
    """Yield ``(output text, error lines, lines)`` per batch, in input order."""
    batches = _batches(stdin, batch_size)
    if workers == 1:
        engine = _engine(second_tier)
        for batch in batches:
            yield _judge_batch(engine, batch, policy, context)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    # Spawned, not forked: a fork would copy the parent's onnxruntime state
    # and any threads it runs. Each worker loads the model once.
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(second_tier,),
    ) as pool:
        # At most two batches per worker are in flight, so memory stays flat
        # however long the input is.
        pending: deque[Future[tuple[str, int, int]]] = deque()
        for batch in batches:
            pending.append(pool.submit(_judge_in_worker, batch, policy, context))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _engine(second_tier: bool) -> Engine:
    """Both tiers, or the linear model alone."""
    from townhall.moderation.engine import Engine, get_engine

    engine = get_engine()
    return engine if second_tier else Engine(engine.classifier)


#: A worker process's engine, loaded once when the worker starts.
_WORKER_ENGINE: Engine | None = None


def _start_worker(second_tier: bool) -> None:
    global _WORKER_ENGINE
    _WORKER_ENGINE = _engine(second_tier)


def _judge_in_worker(
    batch: list[str], policy: Policy, context: Context | None
) -> tuple[str, int, int]:
    if _WORKER_ENGINE is None:  # the pool's initializer loads it; never seen
        raise RuntimeError("moderation worker started without its engine")
    return _judge_batch(_WORKER_ENGINE, batch, policy, context)


def _judge_batch(
    engine: Engine, batch: list[str], policy: Policy, context: Context | None
) -> tuple[str, int, int]:
    """Judge one batch of raw lines: ``(output text, error lines, lines)``."""
    parsed = [_parse(line) for line in batch]
    texts = [text for _, text, _ in parsed if text is not None]
    verdicts = iter(engine.judge_many(texts, policy, context))
    out = []
    errors = 0
    for ident, text, error in parsed:
        if text is None:
            errors += 1
            ident = ident if isinstance(ident, str | int) else None
            out.append(json.dumps({"id": ident, "error": error}))
        else:
            out.append(json.dumps({"id": ident, **next(verdicts).to_dict()}))
    return "\n".join(out) + "\n", errors, len(batch)


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
