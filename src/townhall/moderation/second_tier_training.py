"""Choosing the second tier's blend weights on the validation split.

The sentence model itself is fine-tuned by :mod:`townhall.moderation.finetune` (or, without
torch, the shipped one is reused); what is chosen here is, per attribute, the
weight ``alpha`` its log-odds get in the blend with the linear model's. It is
the value in ``ALPHAS`` with the best mean ROC-AUC over the validation rows of
the data sets labelling that attribute: tuned on the validation split, never on
anything else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from townhall.moderation.archive import write_npz
from townhall.moderation.datasets import Example, load_source
from townhall.moderation.normalise import normalise, scoring_text
from townhall.moderation.second_tier import HEADS_FILE, SENTENCE_FILE, TOKENIZER_FILE, blend
from townhall.moderation.sentence_model import HEAD_TOKENS, MAX_TOKENS, SentenceModel
from townhall.moderation.types import ATTRIBUTES

__all__ = ["ALPHAS", "SECOND_TIER_SOURCES", "choose_alpha", "train_second_tier"]

#: Data sets whose validation rows choose the blend weights.
SECOND_TIER_SOURCES: tuple[str, ...] = (
    "jigsaw_toxic_10k",
    "davidson_hate_offensive",
    "olid_offenseval2019",
    "youtube_spam",
)
#: Blend weights tried, per attribute.
ALPHAS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)

Pair = tuple[int, np.ndarray, np.ndarray]


def train_second_tier(
    datasets: Path,
    model_dir: Path,
    first_scores: dict[str, np.ndarray],
    *,
    show_progress: bool = True,
    sample: int | None = None,
) -> dict[str, Any]:
    """Choose the blend weights and write ``second_tier.npz`` into ``model_dir``,
    which already holds the sentence model.

    ``first_scores`` maps each of :data:`SECOND_TIER_SOURCES` to the linear
    model's ``(n, 7)`` probabilities for all its rows, in ``load_source`` order;
    ``sample`` keeps the first rows of each source (for fast tests). Returns the
    summary stored in ``meta.json``.
    """
    model = SentenceModel(model_dir / SENTENCE_FILE, model_dir / TOKENIZER_FILE)
    rows: dict[str, list[Example]] = {}
    logits: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    for source in SECOND_TIER_SOURCES:
        every = load_source(datasets, source, limit=sample)
        keep = [i for i, e in enumerate(every) if e.validation]
        rows[source] = [every[i] for i in keep]
        firsts.append(first_scores[source][keep])
        logits.append(_read(model, source, rows[source], show_progress))
    val_first = np.vstack(firsts)
    val_logits = np.vstack(logits)
    pairs = labelled_pairs(
        [e.labels for s in rows for e in rows[s]], [s for s in rows for e in rows[s]]
    )
    alpha = choose_alpha(val_first, val_logits, pairs)
    write_npz(model_dir / HEADS_FILE, {"alpha": alpha.astype(np.float32)})
    blended = blend(val_first, val_logits, alpha)
    sentence_alone = 1.0 / (1.0 + np.exp(-val_logits))
    return {
        "sentence_model": "all-MiniLM-L6-v2 (Apache-2.0), fine-tuned, int8 ONNX",
        "sentence_model_sha256": hashlib.sha256(
            (model_dir / SENTENCE_FILE).read_bytes()
        ).hexdigest(),
        "max_tokens": MAX_TOKENS,
        "head_tokens": HEAD_TOKENS,
        "sources": list(SECOND_TIER_SOURCES),
        "alpha": {a: round(float(alpha[k]), 2) for k, a in enumerate(ATTRIBUTES)},
        "validation_mean_auc": {
            "first_tier": round(mean_auc(val_first, pairs), 4),
            "sentence_model": round(mean_auc(sentence_alone, pairs), 4),
            "blend": round(mean_auc(blended, pairs), 4),
        },
    }


def _read(model: SentenceModel, source: str, rows: Sequence[Example], show: bool) -> np.ndarray:
    texts = [scoring_text(normalise(e.text)) for e in rows]
    if not show:
        return model.logits(texts)
    from tqdm import tqdm

    with tqdm(total=len(texts), desc=f"read {source}", unit=" rows") as bar:
        return model.logits(texts, bar.update)


def labelled_pairs(labels: Sequence[dict[str, int]], sources: Sequence[str]) -> list[Pair]:
    """(attribute index, row indices, labels) for each source labelling an
    attribute with both classes present."""
    out = []
    for k, attr in enumerate(ATTRIBUTES):
        for source in dict.fromkeys(sources):
            idx = np.array(
                [
                    i
                    for i, (lab, s) in enumerate(zip(labels, sources, strict=True))
                    if s == source and attr in lab
                ],
                dtype=np.int64,
            )
            y = np.array([labels[i][attr] for i in idx], dtype=np.int64)
            if len(idx) and 0 < y.sum() < len(y):
                out.append((k, idx, y))
    return out


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC-AUC by ranks (ties averaged): the same number as scikit-learn's, faster."""
    from scipy.stats import rankdata

    ranks = rankdata(s)
    pos = int(y.sum())
    neg = len(y) - pos
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def mean_auc(probs: np.ndarray, pairs: list[Pair]) -> float:
    """Mean over attributes of the mean ROC-AUC over the sources labelling them."""
    per_attr: dict[int, list[float]] = {}
    for k, idx, y in pairs:
        per_attr.setdefault(k, []).append(_auc(y, probs[idx, k]))
    return float(np.mean([np.mean(v) for v in per_attr.values()]))


def choose_alpha(first: np.ndarray, logits: np.ndarray, pairs: list[Pair]) -> np.ndarray:
    """Per attribute, the blend weight from ``ALPHAS`` with the best mean ROC-AUC
    (ties go to the smaller weight); 0.5 where no pair labels the attribute."""
    alpha = np.full(len(ATTRIBUTES), 0.5)
    for k in range(len(ATTRIBUTES)):
        # The blend is column by column: only attribute k's column is tried.
        mine = [(0, idx, y) for j, idx, y in pairs if j == k]
        if not mine:
            continue
        column = (first[:, [k]], logits[:, [k]])
        results = [(round(mean_auc(blend(*column, np.array([a])), mine), 6), -a) for a in ALPHAS]
        alpha[k] = -max(results)[1]
    return alpha
