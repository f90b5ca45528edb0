"""The second tier: a sentence encoder's second opinion on the comments the linear
model is unsure of.

Most comments are plainly fine or plainly abusive, and the linear model alone
decides them in a fraction of a millisecond. A comment is *unsure* when some
attribute's linear score falls inside that attribute's band (chosen on the
validation split, see :mod:`townhall.moderation.training`); only those are
encoded, and their scores become a blend, in log-odds, of the linear score and
a small logistic head over the sentence embedding. Keeping the band narrow is
what keeps the posting path fast.

The bands are chosen by training under a speed budget (a small enough share
re-scored that one comment stays within 5 ms at p99 and a batch above 2,000
comments/s); ``thorough`` mode uses wider bands, for accuracy over speed. A band
may also end at an attribute's hold threshold (threat: 0.05–0.08), so that the
comments the first tier scores just short of being held get the second opinion.

Files, beside the linear model: ``encoder.onnx`` and ``tokenizer.json`` (see
:mod:`townhall.moderation.encoder`) and ``second_tier.npz`` with, per attribute,
the head's weights ``coef`` (7 × 384) and ``intercept``, the blend weight
``alpha``, the band ``low``/``high`` and the thorough band
``thorough_low``/``thorough_high`` (an attribute without a band has low > high);
no pickles.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from townhall.moderation.types import ATTRIBUTES

__all__ = ["SecondTier", "blend", "unsure_rows"]

HEADS_FILE = "second_tier.npz"


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def blend(first: np.ndarray, second_logits: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Return probabilities mixing first-tier probabilities and second-tier log-odds."""
    z = (1 - alpha) * _logit(first) + alpha * second_logits
    return 1.0 / (1.0 + np.exp(-z))


def unsure_rows(first: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Return a boolean mask of the rows with any attribute inside its band."""
    return np.any((first >= low) & (first <= high), axis=1)


class SecondTier:
    """Refines first-tier scores; load once per process and share."""

    def __init__(self, model_dir: Path) -> None:
        from townhall.moderation.encoder import Encoder

        with np.load(model_dir / HEADS_FILE, allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32)
            self.intercept = z["intercept"].astype(np.float32)
            self.alpha = z["alpha"].astype(np.float64)
            self.low = z["low"].astype(np.float64)
            self.high = z["high"].astype(np.float64)
            # Models trained before thorough mode existed had one band only.
            wide = "thorough_low" in z
            self.thorough_low = z["thorough_low"].astype(np.float64) if wide else self.low
            self.thorough_high = z["thorough_high"].astype(np.float64) if wide else self.high
        if self.coef.shape[0] != len(ATTRIBUTES):
            raise ValueError(f"second tier heads have shape {self.coef.shape}")
        self.encoder = Encoder(model_dir / "encoder.onnx", model_dir / "tokenizer.json")

    @staticmethod
    def available(model_dir: Path) -> bool:
        """Tell whether ``model_dir`` holds a second tier."""
        return all(
            (model_dir / name).is_file() for name in (HEADS_FILE, "encoder.onnx", "tokenizer.json")
        )

    def head_logits(self, embeddings: np.ndarray) -> np.ndarray:
        """Return the heads' log-odds, shape (n, 7), for sentence embeddings."""
        return embeddings @ self.coef.T + self.intercept

    def unsure(self, first: np.ndarray, thorough: bool = False) -> np.ndarray:
        """Return the boolean mask of the rows of ``first`` this tier re-scores
        (with ``thorough``, a superset of the default's)."""
        default = unsure_rows(first, self.low, self.high)
        if thorough:
            # The default's decision bands lie outside the wide ones (threat
            # 0.05-0.08 against 0.15-0.5); thorough must not re-score less.
            return default | unsure_rows(first, self.thorough_low, self.thorough_high)
        return default

    def refine(self, first: np.ndarray, texts: Sequence[str], thorough: bool = False) -> np.ndarray:
        """Return ``first`` with the unsure rows re-scored; ``texts`` are normalised.

        ``thorough`` uses the wider bands: more comments re-scored, slower."""
        mask = self.unsure(first, thorough)
        if not mask.any():
            return first
        rows = np.flatnonzero(mask)
        embeddings = self.encoder.encode_many([texts[i] for i in rows])
        out = first.copy()
        out[rows] = blend(first[rows], self.head_logits(embeddings), self.alpha)
        return out
