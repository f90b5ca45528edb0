"""The second tier: a fine-tuned sentence model's opinion, blended with the linear model's.

The linear model scores n-grams; the sentence model (:mod:`townhall.moderation.sentence_model`)
reads each comment as a sentence. Both read every comment, and an attribute's
score is a blend, in log-odds, of the two: ``(1 - alpha) * linear + alpha *
sentence model``, with ``alpha`` per attribute chosen on the validation split by
:mod:`townhall.moderation.second_tier_training`. A blend rather than the sentence model
alone because the two err differently: the linear model knows the rare slur and
the banned spelling, the sentence model knows who is being called what.

Files, beside the linear model: ``sentence.onnx`` and ``tokenizer.json``, and
``second_tier.npz`` with the blend weights ``alpha`` (7,); no pickles.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from townhall.moderation.types import ATTRIBUTES

__all__ = ["SecondTier", "blend"]

HEADS_FILE = "second_tier.npz"
SENTENCE_FILE = "sentence.onnx"
TOKENIZER_FILE = "tokenizer.json"


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def blend(first: np.ndarray, second_logits: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Return probabilities mixing first-tier probabilities and second-tier log-odds."""
    z = (1 - alpha) * _logit(first) + alpha * second_logits
    return 1.0 / (1.0 + np.exp(-z))


class SecondTier:
    """Refines first-tier scores; load once per process and share."""

    def __init__(self, model_dir: Path) -> None:
        from townhall.moderation.sentence_model import SentenceModel

        with np.load(model_dir / HEADS_FILE, allow_pickle=False) as z:
            self.alpha = z["alpha"].astype(np.float64)
        if self.alpha.shape != (len(ATTRIBUTES),):
            raise ValueError(f"second tier blend weights have shape {self.alpha.shape}")
        self.model = SentenceModel(model_dir / SENTENCE_FILE, model_dir / TOKENIZER_FILE)

    @staticmethod
    def available(model_dir: Path) -> bool:
        """Tell whether ``model_dir`` holds a second tier."""
        return all(
            (model_dir / name).is_file() for name in (HEADS_FILE, SENTENCE_FILE, TOKENIZER_FILE)
        )

    def refine(self, first: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Return ``first`` blended with the sentence model's opinion of ``texts`` (normalised)."""
        if not len(texts):
            return first
        return blend(first, self.model.logits(texts), self.alpha)
