"""Training the shipped classifier, deterministically, from ``../shared/datasets``.

``train_model(datasets, out)`` rebuilds ``model/weights.npz`` and
``model/meta.json`` byte for byte from the same data: the split is a keyed
hash, the features are hashed (no vocabulary), the solver is single-threaded
liblinear with a fixed seed, and the archive is written with fixed timestamps.

Only the training part of each data set is used (80%, see
:mod:`townhall.moderation.datasets`); the validation part is for
:mod:`townhall.moderation.evaluation` and for choosing thresholds.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from townhall.moderation import templates
from townhall.moderation.archive import write_npz
from townhall.moderation.datasets import (
    TRAIN_SOURCES,
    Example,
    SpanExample,
    load_source,
    load_spans,
)
from townhall.moderation.features import N_FEATURES, Featuriser, _normalise_blocks
from townhall.moderation.normalise import normalise, scoring_text
from townhall.moderation.quantise import pack_idf, pack_weights, unpack_idf
from townhall.moderation.types import ATTRIBUTES

__all__ = ["HEADS", "HeadConfig", "MODEL_VERSION", "TrainSummary", "train_model", "write_model"]

MODEL_VERSION = "2026.11-5"


@dataclass(frozen=True, slots=True)
class HeadConfig:
    """How one attribute's head is trained (chosen on the validation split).

    ``sources``: data sets whose labels it learns from (None: every data set
    labelling the attribute); hand-written templates are always included.
    ``nb``: scale features by their naive-Bayes log-count ratio before the
    logistic regression (NB-LR), which helped where labels are plentiful.
    ``c``: inverse L2 regularisation strength.
    """

    c: float
    nb: bool
    sources: frozenset[str] | None = None


#: One head per attribute. Toxicity learns only from the three data sets whose
#: notion of "offensive" matches a news site's (see the model card).
HEADS: dict[str, HeadConfig] = {
    "toxicity": HeadConfig(
        4.0,
        True,
        frozenset({"jigsaw_toxic_10k", "davidson_hate_offensive", "olid_offenseval2019"}),
    ),
    "obscene": HeadConfig(4.0, True),
    "sexual": HeadConfig(4.0, True),
    "threat": HeadConfig(4.0, False),
    "insult": HeadConfig(4.0, True),
    "identity_attack": HeadConfig(1.0, False),
    "spam": HeadConfig(8.0, True),
}
#: Total weight of the "not spam" rows borrowed from other data sets, relative
#: to the YouTube rows.
SPAM_BORROWED_WEIGHT = 0.5
#: Share of every non-spam data set used as extra "not spam" examples.
SPAM_NEGATIVE_FRACTION = 0.05
#: Weight of one hand-written template sentence relative to an average row.
TEMPLATE_WEIGHT = 4.0


@dataclass(frozen=True, slots=True)
class TrainSummary:
    """What a training run used: rows per source and per head, and the output."""

    rows_per_source: dict[str, int]
    rows_per_head: dict[str, int]
    positives_per_head: dict[str, int]
    out: Path
    sha256: str


def _progress(iterable: Iterable[Any], show: bool, **kw: Any) -> Iterable[Any]:
    if not show:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, **kw)


def _template_examples() -> list[Example]:
    """The hand-written sentences (templates module), as training examples."""
    zero = dict.fromkeys(ATTRIBUTES, 0)
    out: list[Example] = []
    for _term, sentence in templates.neutral_sentences(templates.NEUTRAL_TRAIN_FRAMES):
        out.append(Example("templates", sentence, dict(zero)))
    for sentence in templates.pair_sentences():
        out.append(Example("templates", sentence, dict(zero)))
    for sentence in templates.scunthorpe_sentences():
        out.append(Example("templates", sentence, dict(zero)))
    for _term, sentence in templates.neutral_sentences(templates.HOSTILE_TRAIN_FRAMES):
        labels = {"toxicity": 1, "identity_attack": 1, "spam": 0, "sexual": 0, "threat": 0}
        out.append(Example("templates", sentence, labels))
    for _term, sentence in templates.neutral_sentences(templates.THREAT_FRAMES):
        labels = {"toxicity": 1, "identity_attack": 1, "threat": 1, "spam": 0}
        out.append(Example("templates", sentence, labels))
    for sentence in templates.DIRECT_THREATS:
        out.append(Example("templates", sentence, {"toxicity": 1, "threat": 1, "spam": 0}))
    for sentence in templates.FIGURATIVE_TRAIN:
        out.append(Example("templates", sentence, dict(zero)))
    for sentence in templates.news_sentences(templates.NEWS_TRAIN_PREDICATES):
        out.append(Example("templates", sentence, dict(zero)))
    return out


def _spam_negative(text: str) -> bool:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, key=b"spam-neg").digest()
    return int.from_bytes(digest, "big") / 2**64 < SPAM_NEGATIVE_FRACTION


def load_training_examples(datasets: Path, sample: int | None = None) -> list[Example]:
    """Return the training-split examples of every trainable source + templates.

    ``sample`` keeps only the first ``sample`` training rows of each source
    (for fast tests). Non-spam sources also give "not spam" labels to a fixed
    hashed fraction of their rows.
    """
    out: list[Example] = []
    for source in TRAIN_SOURCES:
        rows = [e for e in load_source(datasets, source, limit=sample) if not e.validation]
        for e in rows:
            if source != "youtube_spam" and _spam_negative(e.text):
                e = Example(e.source, e.text, {**e.labels, "spam": 0}, False)
            out.append(e)
    out.extend(_template_examples())
    return out


def _fit_head(
    x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, c: float, nb: bool = False
) -> tuple[np.ndarray, float]:
    """Fit one logistic-regression head; return (weights, intercept).

    With ``nb`` the features are first scaled by the weighted naive-Bayes
    log-count ratio r, and the returned weights are ``coef * r`` so scoring
    needs no extra vector.
    """
    from sklearn.linear_model import LogisticRegression

    ratio = None
    if nb:
        present = (x > 0).astype(np.float32)
        pos = np.asarray(present[y == 1].T @ w[y == 1]).ravel() + 1.0
        neg = np.asarray(present[y == 0].T @ w[y == 0]).ravel() + 1.0
        ratio = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)
        x = x @ sp.diags(ratio)
    clf = LogisticRegression(
        C=c, solver="liblinear", dual=True, max_iter=500, tol=1e-4, random_state=0
    )
    clf.fit(x, y, sample_weight=w)
    coef = clf.coef_[0].astype(np.float32)
    if ratio is not None:
        coef = coef * ratio
    return coef, float(clf.intercept_[0])


def _source_weights(sources: Sequence[str]) -> np.ndarray:
    """Weight rows so each source counts by the square root of its size.

    Big data sets still count more, but a 20k-tweet corpus cannot drown out
    a 4k-comment one whose labels mean something slightly different.
    """
    counts = Counter(sources)
    total = sum(math.sqrt(n) for n in counts.values())
    n_rows = len(sources)
    per_row = {s: (math.sqrt(n) / total) * n_rows / n for s, n in counts.items()}
    return np.array([per_row[s] for s in sources], dtype=np.float64)


def _cap_identity_weights(coef: np.ndarray) -> None:
    """Stop identity terms counting as evidence of abuse by themselves, in place.

    For the toxicity, obscene, sexual, threat and insult heads, the weights of
    the features an identity term ("gay", "muslim", "black" …) produces on its
    own are capped at zero: a sentence can still be scored hostile because of
    what it says about a group, never because it names one. The
    identity_attack head keeps them (an attack on a group names the group;
    capping cost 0.02 ROC-AUC there) and relies on the neutral templates.
    """
    feat = Featuriser()
    columns = sorted(
        {i for term in templates.IDENTITY_TERMS for i in feat.own_feature_indices(term)}
    )
    for attr in ("toxicity", "obscene", "sexual", "threat", "insult"):
        k = ATTRIBUTES.index(attr)
        coef[k, columns] = np.minimum(coef[k, columns], 0.0)


def _spam_weights(sources: Sequence[str]) -> np.ndarray:
    """YouTube rows weigh 1; borrowed "not spam" rows share SPAM_BORROWED_WEIGHT."""
    own = sum(1 for s in sources if s == "youtube_spam")
    borrowed = len(sources) - own
    other = SPAM_BORROWED_WEIGHT * own / borrowed if borrowed else 0.0
    return np.array([1.0 if s == "youtube_spam" else other for s in sources])


def span_lexicon(spans: Sequence[SpanExample], min_count: int = 2) -> dict[str, list[float]]:
    """Learn, per normalised word, how often it is inside a gold toxic span.

    Returns ``{word: [share_in_span, occurrences]}`` for words seen at least
    ``min_count`` times, from the training part of toxic_spans only.
    """
    seen: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    for ex in spans:
        if ex.validation:
            continue
        norm = normalise(ex.text)
        for start, end in norm.words():
            o_start, o_end = norm.to_original(start, end)
            word = norm.text[start:end]
            seen[word] += 1
            hit = sum(1 for i in range(o_start, o_end) if i in ex.offsets)
            if hit * 2 >= (o_end - o_start):
                inside[word] += 1
    return {
        w: [round(inside[w] / n, 4), n]
        for w, n in sorted(seen.items())
        if n >= min_count and inside[w] > 0
    }


def featurise_training(
    texts: Sequence[str], show_progress: bool
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Return (features, idf) for normalised training texts."""
    feat = Featuriser()
    chunks = []
    step = 2000
    for i in _progress(range(0, len(texts), step), show_progress, desc="features", unit="k"):
        chunks.append(feat.counts(texts[i : i + step]))
    x = sp.vstack(chunks, format="csr")
    df = np.bincount(x.indices, minlength=N_FEATURES).astype(np.float64)
    n = x.shape[0]
    # Train on the idf the shipped model will hold, rounded to its byte grid.
    idf = unpack_idf(*pack_idf(np.log((1.0 + n) / (1.0 + df)) + 1.0))
    np.log1p(x.data, out=x.data)
    x.data *= idf[x.indices]
    _normalise_blocks(x)
    return x, idf


def write_model(
    out: Path,
    idf: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    meta: dict[str, Any],
) -> str:
    """Write ``weights.npz`` (no pickles, fixed timestamps, one byte per weight:
    see :mod:`townhall.moderation.quantise`) and ``meta.json``.

    Returns the SHA-256 of the weights file.
    """
    out.mkdir(parents=True, exist_ok=True)
    idf_codes, idf_bounds = pack_idf(idf)
    coef_codes, coef_scales = pack_weights(coef)
    arrays = {
        "idf_codes": idf_codes,
        "idf_bounds": idf_bounds,
        "coef_codes": coef_codes,
        "coef_scales": coef_scales,
        "intercept": intercept.astype(np.float32),
    }
    digest = write_npz(out / "weights.npz", arrays)
    (out / "meta.json").write_text(
        json.dumps(meta, indent=1, sort_keys=True, ensure_ascii=True) + "\n", encoding="utf-8"
    )
    return digest


def train_model(
    datasets: Path,
    out: Path,
    *,
    show_progress: bool = True,
    sample: int | None = None,
    heads: dict[str, HeadConfig] | None = None,
    finetune: bool | None = None,
) -> TrainSummary:
    """Train every head and write the model to ``out``.

    The linear model first; then the second tier's sentence model, fine-tuned when
    ``finetune`` is true (by default: when the ``train`` extra is installed) or
    else copied from the shipped model, and its blend weights (see
    :mod:`townhall.moderation.finetune` and
    :mod:`townhall.moderation.second_tier_training`).

    Raises ``FileNotFoundError`` when a data set is missing. Deterministic:
    the same data gives the same bytes on the same torch build.
    """
    heads = {**HEADS, **(heads or {})}
    # Read before anything is written: ``out`` may be the shipped model's folder.
    shipped = _shipped_sentence_training()
    examples = load_training_examples(datasets, sample)
    texts = [
        scoring_text(normalise(e.text))
        for e in _progress(examples, show_progress, desc="normalise", unit=" rows")
    ]
    x, idf = featurise_training(texts, show_progress)
    sources = [e.source for e in examples]

    coef = np.zeros((len(ATTRIBUTES), N_FEATURES), dtype=np.float32)
    intercept = np.zeros(len(ATTRIBUTES), dtype=np.float32)
    rows_per_head: dict[str, int] = {}
    positives: dict[str, int] = {}
    for k, attr in enumerate(_progress(ATTRIBUTES, show_progress, desc="heads")):
        cfg = heads[attr]
        idx = [
            i
            for i, e in enumerate(examples)
            if attr in e.labels
            and (cfg.sources is None or e.source in cfg.sources or e.source == "templates")
        ]
        y = np.array([examples[i].labels[attr] for i in idx], dtype=np.int64)
        if attr == "spam":
            w = _spam_weights([sources[i] for i in idx])
        else:
            w = _source_weights([sources[i] for i in idx])
        w[[j for j, i in enumerate(idx) if sources[i] == "templates"]] = TEMPLATE_WEIGHT
        coef[k], intercept[k] = _fit_head(x[idx], y, w, cfg.c, cfg.nb)
        rows_per_head[attr] = len(idx)
        positives[attr] = int(y.sum())

    _cap_identity_weights(coef)
    lexicon = span_lexicon(load_spans(datasets)) if sample is None else {}
    if sample is not None:
        lexicon = span_lexicon(load_spans(datasets)[: sample * 4])
    rows_per_source = dict(sorted(Counter(sources).items()))
    meta = {
        "version": MODEL_VERSION,
        "attributes": list(ATTRIBUTES),
        "features": {"block_bits": 19, "word_ngrams": [1, 2], "char_wb_ngrams": [2, 5]},
        "heads": {
            a: {"c": h.c, "nb": h.nb, "sources": sorted(h.sources) if h.sources else None}
            for a, h in heads.items()
        },
        "rows_per_source": rows_per_source,
        "rows_per_head": rows_per_head,
        "positives_per_head": positives,
        "span_lexicon": lexicon,
    }
    digest = write_model(out, idf, coef, intercept, meta)
    sentence = _provide_sentence_model(
        out, examples, texts, finetune, show_progress, sample, shipped
    )
    if sentence is not None:
        meta["second_tier"] = {
            **_train_second_tier(datasets, out, show_progress, sample),
            "training": sentence,
        }
        digest = write_model(out, idf, coef, intercept, meta)
    return TrainSummary(rows_per_source, rows_per_head, positives, out, digest)


def _provide_sentence_model(
    out: Path,
    examples: Sequence[Example],
    texts: Sequence[str],
    finetune: bool | None,
    show_progress: bool,
    sample: int | None,
    shipped: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """Fine-tune the sentence model into ``out`` when torch is here (or ``finetune``
    says so), else copy the shipped one. Returns how it was trained (``shipped``,
    for the copy), or None when there is no sentence model to copy. ``sample``
    caps every source, the templates too, for quick tests."""
    import shutil

    from townhall.moderation.classifier import MODEL_DIR
    from townhall.moderation.finetune import (
        SENTENCE_SOURCES,
        finetune_sentence_model,
        torch_available,
    )

    if finetune is None:
        finetune = torch_available()
    if finetune:
        keep = [i for i, e in enumerate(examples) if e.source in SENTENCE_SOURCES]
        if sample is not None:
            groups = _group_by_source([examples[i] for i in keep])
            keep = sorted(keep[j] for rows in groups.values() for j in rows[:sample])
        return finetune_sentence_model(
            [examples[i] for i in keep], [texts[i] for i in keep], out, show_progress=show_progress
        )
    names = ("sentence.onnx", "tokenizer.json")
    if not all((MODEL_DIR / name).is_file() for name in names):
        return None
    if out.resolve() != MODEL_DIR.resolve():
        for name in names:
            shutil.copyfile(MODEL_DIR / name, out / name)
    # A model from before its training was recorded still gets its blend weights.
    return shipped if shipped is not None else {}


def _shipped_sentence_training() -> dict[str, Any] | None:
    """How the shipped sentence model was fine-tuned, from the shipped meta.json."""
    from townhall.moderation.classifier import MODEL_DIR

    try:
        meta = json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("second_tier", {}).get("training")


def _train_second_tier(
    datasets: Path, out: Path, show_progress: bool, sample: int | None
) -> dict[str, Any]:
    from townhall.moderation.classifier import LinearClassifier
    from townhall.moderation.second_tier_training import (
        SECOND_TIER_SOURCES,
        train_second_tier,
    )

    linear = LinearClassifier(out)
    first = {
        source: linear.score_normalised(
            [scoring_text(normalise(e.text)) for e in load_source(datasets, source, limit=sample)]
        )
        for source in SECOND_TIER_SOURCES
    }
    return train_second_tier(datasets, out, first, show_progress=show_progress, sample=sample)


def _group_by_source(examples: Sequence[Example]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[e.source].append(i)
    return groups
