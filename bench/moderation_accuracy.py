"""Benchmark: how well townhall's moderation engine ranks comments, against alt-profanity-check.

Usage (from the repository root, with the project's venv)::

    OMP_NUM_THREADS=1 .venv/bin/python -m bench.moderation_accuracy [--datasets DIR]

(Run it as a module so that ``bench.moderation`` is importable; the peer's
virtual environment ``bench/.venv-peer`` is the one ``bench/moderation.py``
creates, and it is created here too when missing.)

For every data set in ``townhall.moderation.datasets.LABEL_MAP``, the
evaluation-only ETHOS sets included, only the validation rows are read. For
each attribute that a data set labels and where both classes occur, the
script computes the validation ROC-AUC of

* townhall's shipped engine: ``Engine.score_normalised`` on the normalised
  text (linear model, blended with the sentence model when it is shipped), the
  column of that attribute; and
* alt-profanity-check's ``predict_prob``, a single offensiveness score that
  stands in for every attribute.

It prints a Markdown table of the pairs, then the unweighted mean over the
attributes of each data set. Rows marked ``†`` come from data sets that
alt-profanity-check was itself trained on (its README names the Davidson et
al. 2017 tweets and the Jigsaw / Kaggle Wikipedia toxic comments), so its
figures there are not out-of-sample. Texts from the two sides never mix:
the peer runs in its own interpreter, fed through a temporary JSON file.
Progress goes to stderr, the tables to stdout. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench.moderation import run_peer
from sklearn.metrics import roc_auc_score

#: Data sets whose rows (or a superset of them) trained alt-profanity-check.
PEER_TRAINED: frozenset[str] = frozenset({"jigsaw_toxic_10k", "davidson_hate_offensive"})

# Reads a JSON list of texts from argv[1] and writes one probability per text,
# as a JSON list, on the last line of stdout.
PEER_SCORE_SCRIPT = r"""
import json, sys
from profanity_check import predict_prob
texts = json.load(open(sys.argv[1], encoding="utf-8"))
scores = []
for i in range(0, len(texts), 1024):
    scores.extend(float(p) for p in predict_prob(texts[i:i + 1024]))
print(json.dumps(scores))
"""


@dataclass(frozen=True, slots=True)
class Row:
    """One (data set, attribute) comparison."""

    source: str
    attribute: str
    n: int
    positives: int
    ours: float
    peer: float

    @property
    def diff(self) -> float:
        return self.ours - self.peer


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _peer_scores(texts: list[str]) -> np.ndarray:
    """Score ``texts`` with alt-profanity-check in its own virtual environment."""
    scores = np.asarray(run_peer(PEER_SCORE_SCRIPT, texts), dtype=np.float64)
    if scores.shape != (len(texts),):
        raise RuntimeError(f"peer returned {scores.shape[0]} scores for {len(texts)} texts")
    return scores


def _evaluate(datasets: Path) -> list[Row]:
    from townhall.moderation import get_engine
    from townhall.moderation.datasets import LABEL_MAP, load_source
    from townhall.moderation.normalise import normalise
    from townhall.moderation.types import ATTRIBUTES

    engine = get_engine()
    rows: list[Row] = []
    for source in LABEL_MAP:
        try:
            examples = [e for e in load_source(datasets, source) if e.validation]
        except FileNotFoundError:
            _log(f"{source}: missing under {datasets}, skipped")
            continue
        if not examples:
            continue
        texts = [e.text for e in examples]
        start = time.perf_counter()
        ours = engine.score_normalised([normalise(t) for t in texts])
        took = time.perf_counter() - start
        peer = _peer_scores(texts)
        _log(f"{source}: {len(texts)} validation texts, townhall scored them in {took:.1f} s")
        attributes = sorted({a for e in examples for a in e.labels}, key=ATTRIBUTES.index)
        for attribute in attributes:
            keep = np.array([attribute in e.labels for e in examples])
            y = np.array([e.labels.get(attribute, 0) for e in examples])[keep]
            positives = int(y.sum())
            if positives == 0 or positives == len(y):
                _log(f"{source}/{attribute}: one class only, skipped")
                continue
            column = ours[keep, ATTRIBUTES.index(attribute)]
            rows.append(
                Row(
                    source=source,
                    attribute=attribute,
                    n=len(y),
                    positives=positives,
                    ours=float(roc_auc_score(y, column)),
                    peer=float(roc_auc_score(y, peer[keep])),
                )
            )
    return rows


def _name(source: str) -> str:
    return f"{source} †" if source in PEER_TRAINED else source


def _print_tables(rows: list[Row]) -> None:
    print(
        "| data set | attribute | n | positives | townhall ROC-AUC "
        "| alt-profanity-check ROC-AUC | difference |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {_name(r.source)} | {r.attribute} | {r.n} | {r.positives} "
            f"| {r.ours:.3f} | {r.peer:.3f} | {r.diff:+.3f} |"
        )
    print()
    print("Mean over each data set's attributes (unweighted):")
    print()
    print("| data set | attributes | townhall | alt-profanity-check | difference |")
    print("|---|---:|---:|---:|---:|")
    sources = list(dict.fromkeys(r.source for r in rows))
    for source in sources:
        mine = [r for r in rows if r.source == source]
        ours = float(np.mean([r.ours for r in mine]))
        peer = float(np.mean([r.peer for r in mine]))
        print(f"| {_name(source)} | {len(mine)} | {ours:.3f} | {peer:.3f} | {ours - peer:+.3f} |")
    unseen = [r for r in rows if r.source not in PEER_TRAINED]
    if unseen:
        ours = float(np.mean([r.ours for r in unseen]))
        peer = float(np.mean([r.peer for r in unseen]))
        print(
            f"| all rows without † | {len(unseen)} | {ours:.3f} | {peer:.3f} | {ours - peer:+.3f} |"
        )
    print()
    print(
        "† alt-profanity-check was trained on this data set's source (Davidson et al. 2017 "
        "tweets, or the Jigsaw/Kaggle Wikipedia comments), so its score there is in-sample. "
        "Its single offensiveness score is used for every attribute."
    )


def main() -> None:
    from townhall.moderation.datasets import default_datasets_dir

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--datasets",
        type=Path,
        default=None,
        help="folder of labelled data sets (default: $TOWNHALL_DATASETS or ../shared/datasets)",
    )
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    datasets = args.datasets or default_datasets_dir()
    rows = _evaluate(datasets)
    if not rows:
        sys.exit(f"no labelled validation rows under {datasets}")
    _print_tables(rows)


if __name__ == "__main__":
    main()
