"""Evaluation of the shipped model on the validation splits (``townhall evaluate``).

For each data set and each attribute it labels: ROC-AUC, PR-AUC (average
precision) and F1 at the default hold threshold; per identity term, the
false-positive rate on neutral template sentences; the SemEval-2021 Task 5
character F1 of spans on the toxic_spans validation split. Writes
``evaluation.md`` and ROC/PR curves (PNG) under ``docs/moderation/``.

matplotlib is imported lazily, only when curves are drawn.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from townhall.moderation import templates
from townhall.moderation.classifier import MODEL_DIR, LinearClassifier
from townhall.moderation.datasets import (
    EVAL_ONLY,
    LABEL_MAP,
    default_datasets_dir,
    load_source,
    load_spans,
)
from townhall.moderation.engine import Engine
from townhall.moderation.normalise import normalise, scoring_text
from townhall.moderation.second_tier import SecondTier
from townhall.moderation.types import ATTRIBUTES, DEFAULT_HOLD, Policy

__all__ = [
    "Metric",
    "identity_fpr",
    "run_evaluation",
    "span_f1",
    "validation_metrics",
]

DOCS_DIR = Path(__file__).resolve().parents[3] / "docs" / "moderation"


@dataclass(frozen=True, slots=True)
class Metric:
    """Scores of one attribute on one data set's validation split."""

    dataset: str
    attribute: str
    n: int
    positives: int
    roc_auc: float
    pr_auc: float
    f1_at_hold: float
    curve: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def span_f1(predicted: Sequence[set[int]], gold: Sequence[set[int] | frozenset[int]]) -> float:
    """SemEval-2021 Task 5 metric: mean per-post F1 of character offsets.

    A post where both sets are empty scores 1; one empty, the other not, 0.
    """
    total = 0.0
    for p, g in zip(predicted, gold, strict=True):
        if not p and not g:
            total += 1.0
        elif not p or not g:
            continue
        else:
            inter = len(p & g)
            total += 2 * inter / (len(p) + len(g))
    return total / len(gold) if gold else 0.0


def predict_span_offsets(clf: LinearClassifier, texts: Sequence[str], **kw: Any) -> list[set[int]]:
    """Return the predicted offensive character offsets of each text."""
    norms = [normalise(t) for t in texts]
    tox = clf.score_normalised([scoring_text(n) for n in norms])[:, ATTRIBUTES.index("toxicity")]
    out = []
    for norm, t in zip(norms, tox, strict=True):
        offsets: set[int] = set()
        for start, end in clf.spans(norm, float(t), **kw):
            offsets.update(range(start, end))
        out.append(offsets)
    return out


def _f1_at(y: np.ndarray, s: np.ndarray, threshold: float) -> float:
    pred = s >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def validation_metrics(engine: Engine, datasets: Path) -> list[Metric]:
    """Return a :class:`Metric` for every (data set, labelled attribute) pair,
    scored as the engine scores (both tiers)."""
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_curve,
        roc_auc_score,
        roc_curve,
    )

    out = []
    for source in LABEL_MAP:
        examples = [e for e in load_source(datasets, source) if e.validation]
        if not examples:
            continue
        probs = engine.score_normalised([normalise(e.text) for e in examples])
        for attr in ATTRIBUTES:
            rows = [i for i, e in enumerate(examples) if attr in e.labels]
            if not rows:
                continue
            y = np.array([examples[i].labels[attr] for i in rows])
            if y.min() == y.max():
                continue
            s = probs[rows, ATTRIBUTES.index(attr)]
            fpr, tpr, _ = roc_curve(y, s)
            prec, rec, _ = precision_recall_curve(y, s)
            out.append(
                Metric(
                    dataset=source,
                    attribute=attr,
                    n=len(rows),
                    positives=int(y.sum()),
                    roc_auc=float(roc_auc_score(y, s)),
                    pr_auc=float(average_precision_score(y, s)),
                    f1_at_hold=_f1_at(y, s, DEFAULT_HOLD[attr]),
                    curve={"fpr": fpr, "tpr": tpr, "precision": prec, "recall": rec},
                )
            )
    return out


def identity_fpr(engine: Engine, policy: Policy | None = None) -> dict[str, dict[str, float]]:
    """Per identity term, on the *evaluation* template frames (never trained on).

    Returns ``{term: {"fpr", "mean_toxicity", "mean_identity_attack", "tpr"}}``
    where ``fpr`` is the share of neutral sentences not published under
    ``policy`` and ``tpr`` the share of hostile sentences not published.
    """
    policy = policy or Policy()
    neutral = templates.neutral_sentences(templates.NEUTRAL_EVAL_FRAMES)
    hostile = templates.neutral_sentences(templates.HOSTILE_EVAL_FRAMES)
    n_verdicts = engine.judge_many([s for _, s in neutral], policy)
    h_verdicts = engine.judge_many([s for _, s in hostile], policy)
    table: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (term, _), v in zip(neutral, n_verdicts, strict=True):
        table[term]["fp"].append(float(v.decision != "published"))
        table[term]["tox"].append(v.scores["toxicity"])
        table[term]["ida"].append(v.scores["identity_attack"])
    for (term, _), v in zip(hostile, h_verdicts, strict=True):
        table[term]["tp"].append(float(v.decision != "published"))
    return {
        term: {
            "fpr": float(np.mean(row["fp"])),
            "mean_toxicity": float(np.mean(row["tox"])),
            "mean_identity_attack": float(np.mean(row["ida"])),
            "tpr": float(np.mean(row["tp"])),
        }
        for term, row in table.items()
    }


def news_threat_rate(engine: Engine) -> tuple[float, float]:
    """Return (share of held news sentences about threats, share of held direct threats).

    Uses the evaluation predicates only (never trained on).
    """
    news = templates.news_sentences(templates.NEWS_EVAL_PREDICATES)
    held_news = [v.decision != "published" for v in engine.judge_many(news)]
    threats = [
        "I will come to your house and kill you.",
        "Keep writing this and I will slit your throat.",
        "You should be shot for saying that.",
        "I'm going to hunt you down and hurt you.",
    ]
    held_threats = [v.decision != "published" for v in engine.judge_many(threats)]
    return float(np.mean(held_news)), float(np.mean(held_threats))


def _plot(metrics: Sequence[Metric], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    by_attr: dict[str, list[Metric]] = defaultdict(list)
    for m in metrics:
        by_attr[m.attribute].append(m)
    for attr, ms in by_attr.items():
        fig, (roc, pr) = plt.subplots(1, 2, figsize=(10, 4.5))
        for m in ms:
            label = f"{m.dataset} (AUC {m.roc_auc:.3f})"
            roc.plot(m.curve["fpr"], m.curve["tpr"], label=label)
            pr.plot(
                m.curve["recall"], m.curve["precision"], label=f"{m.dataset} (AP {m.pr_auc:.3f})"
            )
        roc.plot([0, 1], [0, 1], color="grey", linestyle=":")
        roc.set(title=f"{attr}: ROC", xlabel="false positive rate", ylabel="true positive rate")
        pr.set(title=f"{attr}: precision-recall", xlabel="recall", ylabel="precision")
        roc.legend(fontsize=7, loc="lower right")
        pr.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        name = f"curves-{attr}.png"
        fig.savefig(out / name, dpi=90, metadata={"Software": None})
        plt.close(fig)
        files.append(name)
    return files


def run_evaluation(
    datasets: Path | None = None,
    out: Path | None = None,
    model: Path | None = None,
    stream: IO[str] = sys.stdout,
) -> Path:
    """Evaluate, print a summary to ``stream`` and write the report; return its path."""
    datasets = datasets or default_datasets_dir()
    out = out or DOCS_DIR
    out.mkdir(parents=True, exist_ok=True)
    model = model or MODEL_DIR
    clf = LinearClassifier(model)
    tier = SecondTier(model) if SecondTier.available(model) else None
    engine = Engine(clf, tier)
    metrics = validation_metrics(engine, datasets)
    # The same rows scored by the first tier alone, so the report shows what the
    # sentence model adds.
    alone = {(m.dataset, m.attribute): m.roc_auc for m in validation_metrics(Engine(clf), datasets)}
    spans = [s for s in load_spans(datasets) if s.validation]
    f1 = span_f1(predict_span_offsets(clf, [s.text for s in spans]), [s.offsets for s in spans])
    identity = identity_fpr(engine)
    news_held, threats_held = news_threat_rate(engine)
    pictures = _plot(metrics, out)

    mean_fpr = float(np.mean([row["fpr"] for row in identity.values()]))
    lines = [
        "# Moderation model: evaluation on the validation splits",
        "",
        f"Model `{clf.version}`. Produced by `townhall evaluate`; do not edit by hand.",
        "Validation = the 20% of each data set's `train.csv` held back from training "
        "(keyed hash of the text, see `townhall/moderation/datasets.py`). ETHOS is never "
        "trained on, so all of it is used. F1 is measured at the default *hold* threshold.",
        "ROC-AUC, PR-AUC and F1 are the shipped default's (the linear model and the "
        "sentence model, blended); the last column is the ROC-AUC of the linear first tier alone "
        "(`townhall moderate --first-tier-only`).",
        "",
        "| data set | attribute | n | positives | ROC-AUC | PR-AUC | F1 @ hold | first tier |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in metrics:
        eval_only = " (eval only)" if m.dataset in EVAL_ONLY else ""
        key = (m.dataset, m.attribute)
        lines.append(
            f"| {m.dataset}{eval_only} | {m.attribute} | {m.n} | {m.positives} | "
            f"{m.roc_auc:.4f} | {m.pr_auc:.4f} | {m.f1_at_hold:.3f} | "
            f"{alone[key]:.4f} |"
        )
    lines += [
        "",
        f"## Spans\n\nSemEval-2021 Task 5 character F1 on {len(spans)} toxic_spans "
        f"validation posts: **{f1:.4f}**.",
        "",
        "## Identity terms",
        "",
        f"{len(templates.NEUTRAL_EVAL_FRAMES)} neutral and "
        f"{len(templates.HOSTILE_EVAL_FRAMES)} hostile sentence frames per term, none of "
        "them used in training. FPR = neutral sentences not published under the default "
        "policy; TPR = hostile sentences held or rejected.",
        "",
        f"Mean neutral FPR: {mean_fpr:.4f}; highest: "
        f"{max(r['fpr'] for r in identity.values()):.4f}.",
        "",
        "| term | neutral FPR | mean toxicity | mean identity_attack | hostile TPR |",
        "|---|---:|---:|---:|---:|",
    ]
    for term, row in sorted(identity.items()):
        lines.append(
            f"| {term} | {row['fpr']:.3f} | {row['mean_toxicity']:.3f} | "
            f"{row['mean_identity_attack']:.3f} | {row['tpr']:.3f} |"
        )
    lines += [
        "",
        "## Reporting versus threatening",
        "",
        f"News sentences about threats and violence held: {news_held:.3f} (lower is better); "
        f"direct threats held: {threats_held:.3f} (higher is better).",
        "",
        "## Curves",
        "",
    ]
    lines += [f"![{p}]({p})" for p in pictures]
    report = out / "evaluation.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for m in metrics:
        key = (m.dataset, m.attribute)
        stream.write(
            f"{m.dataset:26} {m.attribute:16} ROC-AUC {m.roc_auc:.4f} PR-AUC {m.pr_auc:.4f}"
            f" (first tier {alone[key]:.4f})\n"
        )
    stream.write(f"spans F1 {f1:.4f}; identity mean FPR {mean_fpr:.4f}\n")
    return report


def suggest_thresholds(
    engine: Engine, datasets: Path, reject_precision: float = 0.97, min_hold: float = 0.3
) -> dict[str, tuple[float, float]]:
    """Suggest ``(hold, reject)`` thresholds per attribute from the validation split.

    Pools the validation rows of every trainable data set that labels the
    attribute. ``hold`` maximises F1 (never below 0.5); ``reject`` is the lowest
    score whose precision reaches ``reject_precision`` (never below hold + 0.1).
    This is how the defaults in :mod:`townhall.moderation.types` were chosen.
    """
    from sklearn.metrics import precision_recall_curve

    ys: dict[str, list[int]] = defaultdict(list)
    ss: dict[str, list[float]] = defaultdict(list)
    for source in LABEL_MAP:
        if source in EVAL_ONLY:
            continue
        examples = [e for e in load_source(datasets, source) if e.validation]
        probs = engine.score_normalised([normalise(e.text) for e in examples])
        for i, e in enumerate(examples):
            for attr, label in e.labels.items():
                ys[attr].append(label)
                ss[attr].append(float(probs[i, ATTRIBUTES.index(attr)]))
    out = {}
    for attr in ATTRIBUTES:
        y, s = np.array(ys[attr]), np.array(ss[attr])
        prec, rec, thr = precision_recall_curve(y, s)
        f1 = 2 * prec[:-1] * rec[:-1] / np.maximum(prec[:-1] + rec[:-1], 1e-12)
        hold = max(min_hold, float(thr[int(np.argmax(f1))]))
        ok = np.where(prec[:-1] >= reject_precision)[0]
        reject = float(thr[ok[0]]) if len(ok) else 0.99
        out[attr] = (round(hold, 2), round(min(0.995, max(reject, hold + 0.1)), 3))
    return out
