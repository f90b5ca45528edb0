"""The second tier: a sentence encoder re-scores only what the linear model is
unsure of, and it ranks comments better than the linear model alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from townhall.moderation.classifier import MODEL_DIR, LinearClassifier
from townhall.moderation.datasets import load_source
from townhall.moderation.engine import Engine
from townhall.moderation.normalise import normalise
from townhall.moderation.second_tier import SecondTier
from townhall.moderation.types import ATTRIBUTES


@pytest.fixture(scope="module")
def engines() -> tuple[Engine, Engine]:
    linear = LinearClassifier()
    return Engine(linear), Engine(linear, SecondTier(MODEL_DIR))


def test_the_shipped_engine_has_the_second_tier(engine) -> None:
    assert engine.second_tier is not None


def test_comments_the_linear_model_is_sure_of_are_not_re_scored(engines) -> None:
    alone, both = engines
    texts = ["Thanks for covering the library opening, the photos are lovely."]
    norms = [normalise(t) for t in texts]
    first = alone.score_normalised(norms)
    tier = both.second_tier
    assert not np.any((first >= tier.low) & (first <= tier.high)), first
    assert np.array_equal(both.score_normalised(norms), first)


@pytest.mark.parametrize("thorough", [False, True])
def test_unsure_comments_get_a_second_opinion(engines, datasets: Path, thorough: bool) -> None:
    alone, both = engines
    tier = both.second_tier
    rows = [e for e in load_source(datasets, "jigsaw_toxic_10k") if e.validation][:1500]
    norms = [normalise(e.text) for e in rows]
    first = alone.score_normalised(norms)
    unsure = tier.unsure(first, thorough)
    # Some comments are unsure, and far from all: the band is what keeps it fast.
    assert 0 < unsure.sum() < (0.7 if thorough else 0.1) * len(rows)
    refined = Engine(alone.classifier, tier, thorough=thorough).score_normalised(norms)
    assert not np.array_equal(refined[unsure], first[unsure])
    assert np.array_equal(refined[~unsure], first[~unsure])
    assert np.all((refined >= 0) & (refined <= 1))


def test_thorough_mode_re_scores_more_comments(engines, datasets: Path) -> None:
    alone, both = engines
    rows = [e for e in load_source(datasets, "olid_offenseval2019") if e.validation][:600]
    first = alone.score_normalised([normalise(e.text) for e in rows])
    fast = both.second_tier.unsure(first)
    wide = both.second_tier.unsure(first, thorough=True)
    assert wide.sum() > fast.sum()
    assert not np.any(fast & ~wide)


def _auc(engine: Engine, datasets: Path, source: str, attr: str) -> float:
    from sklearn.metrics import roc_auc_score

    rows = [e for e in load_source(datasets, source) if e.validation and attr in e.labels]
    probs = engine.score_normalised([normalise(e.text) for e in rows])
    y = np.array([e.labels[attr] for e in rows])
    return float(roc_auc_score(y, probs[:, ATTRIBUTES.index(attr)]))


@pytest.mark.parametrize(
    ("source", "attr", "gain"),
    [
        ("jigsaw_toxic_10k", "toxicity", 0.001),
        ("jigsaw_toxic_10k", "insult", 0.003),
        ("jigsaw_toxic_10k", "threat", 0.003),
    ],
)
def test_the_second_tier_ranks_validation_comments_better(
    engines, datasets: Path, source: str, attr: str, gain: float
) -> None:
    alone, both = engines
    first = _auc(alone, datasets, source, attr)
    # Thorough mode re-scores enough comments to gain clearly; the default,
    # held to the speed budget, re-scores few and must at least do no harm.
    thorough = Engine(alone.classifier, both.second_tier, thorough=True)
    assert _auc(thorough, datasets, source, attr) > first + gain
    assert _auc(both, datasets, source, attr) >= first - 0.001


def test_a_threat_just_under_the_hold_threshold_gets_a_second_opinion(engines) -> None:
    from townhall.moderation.types import DEFAULT_HOLD

    _, both = engines
    k = ATTRIBUTES.index("threat")
    first = np.zeros((3, len(ATTRIBUTES)))
    first[:, k] = [0.9 * DEFAULT_HOLD["threat"], 0.01, 0.9]
    # Only the near miss is re-scored: the clearly calm and the clearly held
    # comments are left to the first tier, which keeps the default fast.
    assert both.second_tier.unsure(first).tolist() == [True, False, False]
    # Thorough mode re-scores at least what the default does.
    assert both.second_tier.unsure(first, thorough=True)[0]


def test_a_direct_threat_is_held_by_default_and_news_about_one_is_not(engines) -> None:
    _, both = engines
    threat, news = both.judge_many(
        [
            "I'm going to hunt you down and hurt you.",
            "The minister said the gang had vowed to hunt down informants.",
        ]
    )
    assert threat.decision == "pending"
    assert "threat" in {r.attribute for r in threat.reasons}
    assert news.decision == "published"


def _near_miss_data() -> tuple[np.ndarray, np.ndarray, list]:
    """A thousand comments: ten threats the first tier scores just under the hold
    threshold (which the second tier raises) among five negatives there too."""
    k = ATTRIBUTES.index("threat")
    first = np.zeros((1000, len(ATTRIBUTES)))
    first[:, k] = 0.01
    y = np.zeros(1000, dtype=np.int64)
    y[:20] = 1
    first[:10, k] = 0.07
    first[10:20, k] = 0.5
    first[20:25, k] = 0.07
    blended = first.copy()
    blended[:10, k] = 0.3
    blended[20:25, k] = 0.02
    return first, blended, [(k, np.arange(1000), y)]


def test_decision_bands_cover_near_misses_when_the_budget_allows() -> None:
    from townhall.moderation.second_tier_training import BandStep, choose_decision_bands

    first, blended, pairs = _near_miss_data()
    k = ATTRIBUTES.index("threat")
    none = BandStep(np.ones(len(ATTRIBUTES)), np.zeros(len(ATTRIBUTES)), 0.0, 0.0)
    step, added = choose_decision_bands(first, blended, pairs, first, none, 0.05)
    assert list(added) == [k]
    assert step.low[k] <= 0.07 < 0.08 == step.high[k]
    assert step.share == pytest.approx(0.015)
    # Every threat is now above the hold threshold and no negative is.
    assert step.value == pytest.approx(1.0)
    # Fifteen comments in a thousand are more than a 1% budget allows.
    step, added = choose_decision_bands(first, blended, pairs, first, none, 0.01)
    assert added == {}
    assert step.share == 0.0
