"""Training the second tier's heads, deterministically, after the linear model.

The encoder is fixed (exported once, see :mod:`townhall.moderation.encoder_export`);
what is learned here is small: per attribute a logistic head over the sentence
embedding, the weight ``alpha`` its log-odds get in the blend with the linear
model's, and the band of linear scores that counts as unsure. ``alpha`` and the
bands are chosen on the validation split, never on anything else: the bands by
:func:`choose_bands`, under a speed budget worked out from the measured cost of
one encoder call (see ``MAX_UNSURE_SHARE``), then topped up by
:func:`choose_decision_bands` with what the budget has left, and wider ones for
thorough mode.

Encoding tens of thousands of comments takes a while on a CPU, so embeddings are
kept in a cache directory keyed by the encoder file's digest and the texts; a
rebuild with the same data and encoder reads them back instead of recomputing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from townhall.moderation.archive import write_npz
from townhall.moderation.datasets import Example, load_source
from townhall.moderation.encoder import DIM, HEAD_TOKENS, MAX_TOKENS, Encoder
from townhall.moderation.normalise import normalise
from townhall.moderation.second_tier import HEADS_FILE, blend, unsure_rows
from townhall.moderation.types import ATTRIBUTES, DEFAULT_HOLD

__all__ = [
    "SECOND_TIER_SOURCES",
    "cached_embeddings",
    "choose_bands",
    "choose_decision_bands",
    "train_second_tier",
]

#: Data sets the heads learn from: news-site comments (Jigsaw, which labels six
#: attributes), tweets (Davidson, OLID) and video comments (spam). Encoding is the
#: slow part of training; the other data sets are left to the first tier for now.
SECOND_TIER_SOURCES: tuple[str, ...] = (
    "jigsaw_toxic_10k",
    "davidson_hate_offensive",
    "olid_offenseval2019",
    "youtube_spam",
)
#: The heads' inverse L2 strength.
HEAD_C = 1.0
#: Weight of one hand-written template sentence. Lighter than in the first tier
#: (4.0): there the identity-term cap does part of the work; here the templates
#: alone keep "I am a gay Muslim woman" published, and at 0.25 they no longer did.
TEMPLATE_WEIGHT = 1.0
#: Blend weights tried on the validation split.
ALPHAS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)
#: Band used while alpha is chosen (the widest one the speed budget ever allowed).
REFERENCE_BAND = (0.2, 0.8)
#: Edges an attribute's unsure band may take: its lower edge moves down from 0.5
#: through ``LOWS``, its upper edge up through ``HIGHS``.
LOWS = (0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02)
HIGHS = (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98)
#: Lower edges of a *decision band*, as fractions of the attribute's default hold
#: threshold: the band runs from there up to the threshold (see
#: :func:`choose_decision_bands`).
DECISION_LOWS = (0.875, 0.75, 0.625, 0.5, 0.375, 0.25)
#: A decision band must raise its own attribute's validation F1 at least this
#: much: less is one or two comments of a validation split (noise), bought with
#: latency. On the shipped data it keeps the threat band (+0.05) and drops a spam
#: band (+0.007 on YouTube, 0.26% more comments re-scored).
MIN_DECISION_GAIN = 0.02

# The speed budget. A comment the second tier re-scores costs the encoder about
# ENCODER_MS of CPU on one core (measured at MAX_TOKENS = 48 on the validation
# mix; 0.08 ms per word piece), on top of the first tier's FIRST_TIER_MS.
FIRST_TIER_MS = 0.25
ENCODER_MS = 2.8
#: ``townhall moderate`` must judge this many comments per second on one core.
BATCH_TARGET_PER_S = 2000
#: One comment must be judged within 5 ms at p99. A re-scored comment takes
#: 3–6 ms of CPU, more on a busy machine, so the re-scored share must stay below
#: 1% for the 99th percentile to be a comment the first tier decided alone; the
#: margin covers the gap between the validation mix and live traffic.
SINGLE_P99_SHARE = 0.008


def batch_share_budget() -> float:
    """The largest re-scored share that keeps batch throughput at the target."""
    per_comment_ms = 1000 / BATCH_TARGET_PER_S
    return (per_comment_ms - FIRST_TIER_MS) / ENCODER_MS


#: At most this share of the pooled validation rows (of every training source)
#: goes to the second tier by default: the posting path's budget, the tighter one.
MAX_UNSURE_SHARE = min(SINGLE_P99_SHARE, batch_share_budget())
#: ``thorough`` mode (``townhall moderate --thorough``) trades speed for accuracy.
THOROUGH_SHARE = 0.6


def encoder_text(example_text: str) -> str:
    """The text the encoder reads: normalised (evasions undone), not name-masked."""
    return normalise(example_text).text


def _digest(parts: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def cached_embeddings(
    encoder: Encoder,
    encoder_digest: str,
    source: str,
    texts: Sequence[str],
    cache: Path | None,
    show_progress: bool,
) -> np.ndarray:
    """Return the embeddings of one source's texts, from ``cache`` when present."""
    # The cut changes the embeddings, so it is part of the key.
    cut = f"{encoder.max_tokens}/{encoder.head_tokens}".encode()
    key = _digest([encoder_digest.encode(), cut, *(t.encode("utf-8") for t in texts)])
    path = cache / f"{source}-{key}.npy" if cache else None
    if path is not None and path.is_file():
        return np.load(path, allow_pickle=False)
    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc=f"encode {source}", unit=" rows")
    result = encoder.encode_many(texts, bar.update if bar is not None else None)
    if bar is not None:
        bar.close()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, result, allow_pickle=False)
    return result


def _roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=HEAD_C, solver="lbfgs", max_iter=3000, tol=1e-6)
    clf.fit(x, y, sample_weight=w)
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0])


def train_second_tier(
    datasets: Path,
    model_dir: Path,
    first_scores: dict[str, np.ndarray],
    heads_sources: dict[str, frozenset[str] | None],
    *,
    cache: Path | None = None,
    show_progress: bool = True,
    sample: int | None = None,
    share_first: np.ndarray | None = None,
) -> dict[str, Any]:
    """Fit the heads and write ``second_tier.npz`` into ``model_dir``.

    ``first_scores`` maps each of :data:`SECOND_TIER_SOURCES` to the linear
    model's ``(n, 7)`` probabilities for all its rows, in ``load_source`` order.
    ``heads_sources`` restricts an attribute to some sources, as the linear heads
    do; ``sample`` keeps the first rows of each source (for fast tests). Returns
    the summary stored in ``meta.json``.
    """
    from townhall.moderation.training import _source_weights, _template_examples

    encoder_path = model_dir / "encoder.onnx"
    encoder = Encoder(encoder_path, model_dir / "tokenizer.json", threads=2)
    encoder_digest = hashlib.sha256(encoder_path.read_bytes()).hexdigest()
    rows: dict[str, list[Example]] = {}
    emb: dict[str, np.ndarray] = {}
    for source in SECOND_TIER_SOURCES:
        rows[source] = load_source(datasets, source, limit=sample)
        texts = [encoder_text(e.text) for e in rows[source]]
        emb[source] = cached_embeddings(
            encoder, encoder_digest, source, texts, cache, show_progress
        )
    # The hand-written sentences teach the heads what the first tier learns from
    # them: naming a group is not attacking it, reporting a threat is not making one.
    templates = _template_examples()
    template_emb = cached_embeddings(
        encoder,
        encoder_digest,
        "templates",
        [encoder_text(e.text) for e in templates],
        cache,
        show_progress,
    )

    coef = np.zeros((len(ATTRIBUTES), DIM), dtype=np.float32)
    intercept = np.zeros(len(ATTRIBUTES), dtype=np.float32)
    for k, attr in enumerate(ATTRIBUTES):
        allowed = heads_sources.get(attr)
        xs, ys, srcs = [], [], []
        for source in SECOND_TIER_SOURCES:
            if allowed is not None and source not in allowed:
                continue
            for i, e in enumerate(rows[source]):
                if not e.validation and attr in e.labels:
                    xs.append(emb[source][i])
                    ys.append(e.labels[attr])
                    srcs.append(source)
        if len(set(ys)) < 2:
            continue
        weights = _source_weights(srcs)
        extra = [i for i, e in enumerate(templates) if attr in e.labels]
        xs.extend(template_emb[i] for i in extra)
        ys.extend(templates[i].labels[attr] for i in extra)
        weights = np.concatenate([weights, np.full(len(extra), TEMPLATE_WEIGHT)])
        coef[k], intercept[k] = _fit(np.array(xs), np.array(ys), weights)

    # Alpha per attribute on a wide reference band, then the bands under the
    # speed budget, all on the validation rows.
    val_first = np.vstack(
        [first_scores[s][[i for i, e in enumerate(rows[s]) if e.validation]] for s in rows]
    )
    val_logits = (
        np.vstack([emb[s][[i for i, e in enumerate(rows[s]) if e.validation]] for s in rows])
        @ coef.T
        + intercept
    )
    val_labels = [e.labels for s in rows for e in rows[s] if e.validation]
    val_source = [s for s in rows for e in rows[s] if e.validation]
    pairs = _labelled_pairs(val_labels, val_source)
    alpha = _choose_alpha(val_first, val_logits, pairs)
    blended = blend(val_first, val_logits, alpha)
    pool = share_first if share_first is not None else val_first
    path = choose_bands(val_first, blended, pairs, pool, THOROUGH_SHARE)
    greedy = [step for step in path if step.share <= MAX_UNSURE_SHARE][-1]
    default, decision = choose_decision_bands(
        val_first, blended, pairs, pool, greedy, MAX_UNSURE_SHARE
    )
    thorough = path[-1]

    arrays = {
        "coef": coef,
        "intercept": intercept,
        "alpha": alpha.astype(np.float32),
        "low": default.low.astype(np.float32),
        "high": default.high.astype(np.float32),
        "thorough_low": thorough.low.astype(np.float32),
        "thorough_high": thorough.high.astype(np.float32),
    }
    write_npz(model_dir / HEADS_FILE, arrays)

    def bands(step: BandStep) -> dict[str, list[float] | None]:
        return {
            a: (
                [round(float(step.low[k]), 2), round(float(step.high[k]), 2)]
                if step.low[k] <= step.high[k]
                else None
            )
            for k, a in enumerate(ATTRIBUTES)
        }

    return {
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), int8 ONNX",
        "max_tokens": MAX_TOKENS,
        "head_tokens": HEAD_TOKENS,
        "sources": list(SECOND_TIER_SOURCES),
        "alpha": {a: round(float(alpha[k]), 2) for k, a in enumerate(ATTRIBUTES)},
        "speed_budget": {
            "first_tier_ms": FIRST_TIER_MS,
            "encoder_ms": ENCODER_MS,
            "batch_share": round(batch_share_budget(), 4),
            "single_p99_share": SINGLE_P99_SHARE,
        },
        "bands": bands(default),
        "auc_bands": bands(greedy),
        "auc_bands_unsure_share": round(greedy.share, 4),
        "decision_bands": {
            ATTRIBUTES[k]: [round(lo, 3), round(hi, 3)] for k, (lo, hi) in decision.items()
        },
        "validation_unsure_share": round(default.share, 4),
        "validation_mean_auc": round(_mean_auc(_apply(val_first, blended, default), pairs), 4),
        "validation_mean_f1_at_hold": {
            "auc_bands": round(_mean_f1(_apply(val_first, blended, greedy), pairs), 4),
            "default": round(default.value, 4),
        },
        "thorough_bands": bands(thorough),
        "thorough_unsure_share": round(thorough.share, 4),
        "thorough_mean_auc": round(thorough.value, 4),
        "first_tier_mean_auc": round(path[0].value, 4),
        "pareto": [[round(step.share, 4), round(step.value, 4)] for step in path],
        "encoder_sha256": encoder_digest,
    }


Pair = tuple[int, np.ndarray, np.ndarray]


def _labelled_pairs(labels: Sequence[dict[str, int]], sources: Sequence[str]) -> list[Pair]:
    """(attribute index, row indices, labels) for each source labelling an
    attribute with both classes present."""
    out = []
    for k, attr in enumerate(ATTRIBUTES):
        for source in SECOND_TIER_SOURCES:
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


def _mean_auc(probs: np.ndarray, pairs: list[Pair]) -> float:
    """Mean over attributes of the mean ROC-AUC over the sources labelling them."""
    per_attr: dict[int, list[float]] = {}
    for k, idx, y in pairs:
        per_attr.setdefault(k, []).append(_auc(y, probs[idx, k]))
    return float(np.mean([np.mean(v) for v in per_attr.values()]))


def _choose_alpha(first: np.ndarray, logits: np.ndarray, pairs: list[Pair]) -> np.ndarray:
    """Per attribute, the blend weight from ``ALPHAS`` best on ``REFERENCE_BAND``."""
    low = np.full(len(ATTRIBUTES), REFERENCE_BAND[0])
    high = np.full(len(ATTRIBUTES), REFERENCE_BAND[1])
    mask = unsure_rows(first, low, high)
    alpha = np.full(len(ATTRIBUTES), 0.4)
    for k in range(len(ATTRIBUTES)):
        mine = [p for p in pairs if p[0] == k]
        if not mine:
            continue
        results = []
        for a in ALPHAS:
            trial = alpha.copy()
            trial[k] = a
            probs = first.copy()
            probs[mask] = blend(first[mask], logits[mask], trial)
            results.append((_mean_auc(probs, mine), -a))
        alpha[k] = -max(results)[1]
    return alpha


@dataclass(frozen=True)
class BandStep:
    """One point on the way from no second tier to the widest bands."""

    low: np.ndarray
    high: np.ndarray
    share: float
    value: float


def _edges(state: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    low = np.array([LOWS[i] if i >= 0 else 0.5 for i, _ in state])
    high = np.array([HIGHS[j] if j >= 0 else 0.5 for _, j in state])
    closed = np.array([i < 0 and j < 0 for i, j in state])
    # An attribute with no band at all: an empty interval, so it never triggers.
    low[closed], high[closed] = 1.0, 0.0
    return low, high


def choose_bands(
    first: np.ndarray,
    blended: np.ndarray,
    pairs: list[Pair],
    pool: np.ndarray,
    max_share: float,
) -> list[BandStep]:
    """Widen the attributes' unsure bands greedily, deterministically.

    Starting from no band at all, each step moves one edge of one attribute's
    band outwards by one to three grid points: the move that buys the largest
    gain in validation ROC-AUC (``first`` re-scored as ``blended`` inside the
    bands; mean over ``pairs``) per unit of re-scored share of ``pool`` (the
    first-tier scores of every training source's validation rows), as long as
    the share stays within ``max_share``. Returns every step taken, the first
    being the first tier alone, so any budget's choice is a prefix.
    """
    state = [(-1, -1)] * len(ATTRIBUTES)

    def measure(st: Sequence[tuple[int, int]]) -> tuple[float, np.ndarray, np.ndarray]:
        low, high = _edges(st)
        return float(unsure_rows(pool, low, high).mean()), low, high

    def value(low: np.ndarray, high: np.ndarray) -> float:
        mask = unsure_rows(first, low, high)
        probs = np.where(mask[:, None], blended, first)
        return _mean_auc(probs, pairs)

    low, high = _edges(state)
    current = BandStep(low, high, 0.0, value(low, high))
    path = [current]
    while True:
        best: tuple[float, int, int, int] | None = None
        best_step: BandStep | None = None
        best_state = state
        for k in range(len(ATTRIBUTES)):
            for side, grid in ((0, LOWS), (1, HIGHS)):
                for jump in (1, 2, 3):
                    target = state[k][side] + jump
                    if target >= len(grid):
                        break
                    trial = list(state)
                    trial[k] = (target, state[k][1]) if side == 0 else (state[k][0], target)
                    share, t_low, t_high = measure(trial)
                    added = share - current.share
                    if share > max_share or added <= 0:
                        continue
                    gain = value(t_low, t_high) - current.value
                    if gain <= 0:
                        continue
                    key = (gain / added, -k, -side, -jump)
                    if best is None or key > best:
                        best = key
                        best_step = BandStep(t_low, t_high, share, current.value + gain)
                        best_state = trial
        if best_step is None:
            return path
        state, current = best_state, best_step
        path.append(current)


def _apply(first: np.ndarray, blended: np.ndarray, step: BandStep) -> np.ndarray:
    mask = unsure_rows(first, step.low, step.high)
    return np.where(mask[:, None], blended, first)


def _f1(y: np.ndarray, s: np.ndarray, threshold: float) -> float:
    held = s >= threshold
    tp = int(np.sum(held & (y == 1)))
    wrong = int(np.sum(held != (y == 1)))
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def _f1_by_attribute(probs: np.ndarray, pairs: list[Pair]) -> dict[int, float]:
    """Per attribute, the mean over data sets of F1 at the default hold threshold."""
    per_attr: dict[int, list[float]] = {}
    for k, idx, y in pairs:
        per_attr.setdefault(k, []).append(_f1(y, probs[idx, k], DEFAULT_HOLD[ATTRIBUTES[k]]))
    return {k: float(np.mean(v)) for k, v in per_attr.items()}


def _mean_f1(probs: np.ndarray, pairs: list[Pair]) -> float:
    """Mean over attributes of the mean F1 at the default hold threshold."""
    return float(np.mean(list(_f1_by_attribute(probs, pairs).values())))


def choose_decision_bands(
    first: np.ndarray,
    blended: np.ndarray,
    pairs: list[Pair],
    pool: np.ndarray,
    start: BandStep,
    max_share: float,
) -> tuple[BandStep, dict[int, tuple[float, float]]]:
    """Spend what is left of the share budget where the second tier flips decisions.

    The bands of :func:`choose_bands` buy ranking (ROC-AUC), and within the
    budget they buy almost none; but a newsroom sees decisions. A comment whose
    first-tier score sits just below an attribute's hold threshold is the one a
    second opinion can tip over it ("I'm going to hunt you down and hurt you."
    scores 0.07 for threat against a hold of 0.08). So, for attributes that have
    no band yet, try a *decision band* from a fraction of the default hold
    threshold (``DECISION_LOWS``) up to the threshold itself, and keep, one at a
    time, the one that most raises the validation F1 at the hold thresholds
    (mean over attributes of the mean over data sets), as long as the re-scored
    share of ``pool`` stays within ``max_share`` and the band raises its own
    attribute's F1 by ``MIN_DECISION_GAIN`` or more. Returns the final bands (with
    ``value`` the mean F1) and the decision bands added, by attribute index.
    """
    low, high = start.low.copy(), start.high.copy()
    labelled = sorted({k for k, _, _ in pairs})
    by_attr = _f1_by_attribute(_apply(first, blended, start), pairs)
    current = float(np.mean(list(by_attr.values())))
    share = start.share
    added: dict[int, tuple[float, float]] = {}
    while True:
        best: tuple[float, float, int, float] | None = None
        best_by_attr = by_attr
        for k in labelled:
            if k in added or low[k] <= high[k]:
                continue
            hold = DEFAULT_HOLD[ATTRIBUTES[k]]
            for fraction in DECISION_LOWS:
                t_low, t_high = low.copy(), high.copy()
                t_low[k], t_high[k] = round(hold * fraction, 4), hold
                t_share = float(unsure_rows(pool, t_low, t_high).mean())
                if t_share > max_share:
                    continue
                trial = BandStep(t_low, t_high, t_share, 0.0)
                t_by_attr = _f1_by_attribute(_apply(first, blended, trial), pairs)
                t_value = float(np.mean(list(t_by_attr.values())))
                if t_by_attr[k] - by_attr[k] < MIN_DECISION_GAIN or t_value <= current:
                    continue
                # Ties go to the cheaper band, then to the earlier attribute.
                key = (t_value, -t_share, -k, t_low[k])
                if best is None or key > best:
                    best = key
                    best_by_attr = t_by_attr
        if best is None:
            return BandStep(low, high, share, current), added
        current, neg_share, neg_k, edge = best
        k = -neg_k
        low[k], high[k] = edge, DEFAULT_HOLD[ATTRIBUTES[k]]
        added[k] = (edge, high[k])
        share = -neg_share
        by_attr = best_by_attr
