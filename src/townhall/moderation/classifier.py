"""The shipped linear classifier: seven logistic-regression heads over hashed n-grams.

The model directory holds two files, neither of which can run code on load:

* ``weights.npz`` — ``idf`` (one per hashed feature) and ``coef`` (one row per
  attribute), a byte each (see :mod:`townhall.moderation.quantise`), and
  ``intercept`` (float32), read with ``numpy.load(..., allow_pickle=False)``;
* ``meta.json`` — attribute order, training statistics and the span lexicon.

Spans: a word is marked offensive when the toxic-spans lexicon says it is
usually inside a human-marked span, or, for words the lexicon has not seen
often, when the toxicity head scores the word on its own above a threshold.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from townhall.moderation.features import Featuriser
from townhall.moderation.lexicon import NAME_SAFE
from townhall.moderation.normalise import Normalised, normalise, scoring_text
from townhall.moderation.quantise import unpack_idf, unpack_weights
from townhall.moderation.types import ATTRIBUTES

__all__ = ["MODEL_DIR", "LinearClassifier", "ModelError"]

MODEL_DIR = Path(__file__).resolve().parent / "model"

# Span rule parameters, chosen on the toxic_spans validation split.
SPAN_LEXICON_MIN_SHARE = 0.35
SPAN_LEXICON_MIN_COUNT = 3
SPAN_TOKEN_MIN_PROB = 0.9
SPAN_MIN_DOC_TOXICITY = 0.0
SPAN_FALLBACK_DOC_TOXICITY = 0.1
SPAN_FALLBACK_MIN_WORD = 0.05


class ModelError(RuntimeError):
    """The model files are missing, unreadable or inconsistent."""


class LinearClassifier:
    """Scores normalised text for the seven attributes.

    Thread-safe for scoring: the only mutable state is a word-score cache
    whose updates are atomic dict operations.
    """

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        weights = model_dir / "weights.npz"
        meta_path = model_dir / "meta.json"
        try:
            with np.load(weights, allow_pickle=False) as z:
                idf = unpack_idf(z["idf_codes"], z["idf_bounds"])
                coef = unpack_weights(z["coef_codes"], z["coef_scales"])
                intercept = z["intercept"].astype(np.float32)
            self.meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"cannot load model from {model_dir}: {exc}") from exc
        if tuple(self.meta.get("attributes", ())) != ATTRIBUTES:
            raise ModelError("model attributes do not match this version of townhall")
        if coef.shape != (len(ATTRIBUTES), idf.shape[0]):
            raise ModelError(f"weights have shape {coef.shape}, expected 7 × {idf.shape[0]}")
        self.featuriser = Featuriser(idf)
        self.weights_t = np.ascontiguousarray(coef.T)
        self.intercept = intercept
        self._tox = ATTRIBUTES.index("toxicity")
        self._tox_weights = np.ascontiguousarray(self.weights_t[:, self._tox])
        self.span_lexicon: dict[str, tuple[float, int]] = {
            w: (float(v[0]), int(v[1])) for w, v in self.meta.get("span_lexicon", {}).items()
        }
        self._word_cache: dict[str, float] = {}

    @property
    def version(self) -> str:
        """The model version string from ``meta.json``."""
        return str(self.meta.get("version", "unknown"))

    def score_normalised(self, texts: Sequence[str]) -> np.ndarray:
        """Return an ``(n, 7)`` float array of probabilities for normalised texts."""
        if not texts:
            return np.zeros((0, len(ATTRIBUTES)), dtype=np.float64)
        x = self.featuriser.transform(texts)
        logits = np.asarray(x @ self.weights_t, dtype=np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Normalise and score raw texts; one ``{attribute: probability}`` each."""
        probs = self.score_normalised([scoring_text(normalise(t)) for t in texts])
        return [dict(zip(ATTRIBUTES, map(float, row), strict=True)) for row in probs]

    def word_scores(self, words: Sequence[str]) -> list[float]:
        """Return the toxicity head's probability for each word on its own."""
        cache = self._word_cache
        known = {w: cache[w] for w in words if w in cache}
        missing = sorted({w for w in words if w not in known})
        if missing:
            x = self.featuriser.transform(missing)
            logits = np.asarray(x @ self._tox_weights) + self.intercept[self._tox]
            if len(cache) > 100_000:
                cache.clear()  # bound memory; the cache is only an accelerator
            for w, z in zip(missing, logits, strict=True):
                known[w] = cache[w] = 1.0 / (1.0 + math.exp(-float(z)))
        return [known[w] for w in words]

    def prime_word_scores(self, norms: Sequence[Normalised]) -> None:
        """Score, in one batch, the words of ``norms`` that span finding will need."""
        lexicon = self.span_lexicon
        cache = self._word_cache
        words: set[str] = set()
        for norm in norms:
            text = norm.text
            words.update(text[s:e] for s, e in norm.words())
        needed = [
            w
            for w in words
            if w not in cache and lexicon.get(w, (0.0, 0))[1] < SPAN_LEXICON_MIN_COUNT
        ]
        self.word_scores(sorted(needed))

    def spans(
        self,
        norm: Normalised,
        toxicity: float,
        *,
        min_share: float = SPAN_LEXICON_MIN_SHARE,
        min_count: int = SPAN_LEXICON_MIN_COUNT,
        token_prob: float = SPAN_TOKEN_MIN_PROB,
        min_doc: float = SPAN_MIN_DOC_TOXICITY,
        fallback_doc: float = SPAN_FALLBACK_DOC_TOXICITY,
        fallback_min: float = SPAN_FALLBACK_MIN_WORD,
        join: bool = True,
    ) -> list[tuple[int, int]]:
        """Return ``[start, end)`` ranges of ``norm.original`` judged offensive.

        ``toxicity`` is the document's toxicity score; no spans are returned
        below ``min_doc``. When no word passes the word rules but the document
        scores at least ``fallback_doc``, its most offensive-looking word is
        marked if its word score reaches ``fallback_min``. Adjacent offensive
        words are merged into one span (when ``join``).
        """
        if toxicity < min_doc:
            return []
        words = norm.words()
        if not words:
            return []
        texts = [norm.text[s:e] for s, e in words]
        unknown = [t for t in texts if self.span_lexicon.get(t, (0.0, 0))[1] < min_count]
        token_scores = dict(zip(unknown, self.word_scores(unknown), strict=True))
        flagged: list[tuple[int, int]] = []
        best: tuple[float, int, int] | None = None
        for (start, end), word in zip(words, texts, strict=True):
            share, count = self.span_lexicon.get(word, (0.0, 0))
            if count >= min_count:
                value, hit = share, share >= min_share
            else:
                value = token_scores[word]
                hit = value >= token_prob
            if word in NAME_SAFE and norm.is_name(start, end):
                continue
            if hit:
                flagged.append(norm.to_original(start, end))
            elif best is None or value > best[0]:
                best = (value, start, end)
        if (
            not flagged
            and best is not None
            and toxicity >= fallback_doc
            and best[0] >= fallback_min
        ):
            flagged.append(norm.to_original(best[1], best[2]))
        return merge_spans(flagged, norm.original) if join else sorted(flagged)


def merge_spans(spans: Sequence[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Merge sorted spans separated only by whitespace into one span."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
