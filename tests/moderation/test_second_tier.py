"""The second tier: a fine-tuned sentence model reads every comment, and blended with the
linear model it ranks comments better than the linear model alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from townhall.moderation.classifier import MODEL_DIR, LinearClassifier
from townhall.moderation.datasets import load_source
from townhall.moderation.engine import Engine
from townhall.moderation.normalise import normalise
from townhall.moderation.second_tier import SecondTier
from townhall.moderation.sentence_model import MAX_TOKENS
from townhall.moderation.types import ATTRIBUTES


@pytest.fixture(scope="module")
def engines() -> tuple[Engine, Engine]:
    linear = LinearClassifier()
    return Engine(linear), Engine(linear, SecondTier(MODEL_DIR))


def test_the_shipped_engine_has_the_second_tier(engine) -> None:
    assert engine.second_tier is not None


def test_the_sentence_model_gives_every_comment_a_second_opinion(engines) -> None:
    alone, both = engines
    texts = [
        "Thanks for covering the library opening, the photos are lovely.",
        "You are a pathetic little troll and everyone here knows it.",
        "",
    ]
    norms = [normalise(t) for t in texts]
    first = alone.score_normalised(norms)
    refined = both.score_normalised(norms)
    assert refined.shape == first.shape == (3, len(ATTRIBUTES))
    assert np.all((refined > 0) & (refined < 1))
    blended = both.second_tier.alpha > 0
    assert blended.any()
    assert np.all(refined[:, blended] != first[:, blended])
    k = ATTRIBUTES.index("insult")
    assert refined[1, k] > 0.5 > refined[0, k]


def test_a_long_comment_is_read_by_its_opening_and_its_ending(engines) -> None:
    _, both = engines
    model = both.second_tier.model
    filler = "The council met on Tuesday to discuss the budget for the coming year. " * 3
    text = "Idiots, all of them. " + filler + "Frankly the deputy mayor is a moron. " + filler
    pieces = model.pieces([text])[0]

    def reads(word: str) -> bool:
        ids = model.pieces([word])[0][1:-1]
        return any(pieces[i : i + len(ids)] == ids for i in range(len(pieces)))

    # Cut to MAX_TOKENS pieces, [CLS] and [SEP] kept: the insult that opens it
    # and the words that close it are read, the middle is left to the first tier.
    assert len(pieces) == MAX_TOKENS
    assert reads("idiots") and reads("coming year.") and not reads("moron")


def test_tokenising_only_the_ends_of_a_long_comment_reads_the_same_pieces(
    engines, datasets: Path
) -> None:
    # Long comments have only their opening and closing tokenised; the pieces
    # must be exactly those of the whole text, cut.
    from townhall.moderation.datasets import LABEL_MAP
    from townhall.moderation.normalise import scoring_text
    from townhall.moderation.sentence_model import HEAD_TOKENS, cut_pieces, text_ends

    model = engines[1].second_tier.model
    texts = [
        scoring_text(normalise(e.text))
        for source in LABEL_MAP
        for e in load_source(datasets, source)
        if e.validation
    ]
    texts += [
        # One word too long for a word piece opens it: the opening has too few
        # pieces, so the whole text is tokenised.
        "x" * 240 + " and then " + "the council met again " * 20,
        # A word across the 250th character that is one unknown piece whole but
        # many pieces cut short: only a cut at a space reads it as the whole does.
        "international " * 12 + "abcd" * 20 + "ab\u02accd " + "the council met again " * 20,
        # No space to cut at.
        "http://example.com/" + "a" * 700,
        # Spaces of other kinds, accents and CJK around the cuts.
        ("Café\u00a0société " * 20) + "東京 " * 30 + ("naïve\tword " * 20),
    ]
    long = [t for t in texts if len(t) > 375]
    assert len(long) > 500
    assert sum(text_ends(t) is not None for t in long) > 500
    whole = [cut_pieces(model._tokenizer.encode(t).ids, MAX_TOKENS, HEAD_TOKENS) for t in long]
    assert model.pieces(long) == whole


def test_reading_one_comment_or_many_gives_the_same_scores(engines) -> None:
    # The int8 graph would score a comment padded into a batch a little
    # differently; the posting path reads one, `townhall moderate` thousands.
    from townhall.moderation import templates

    _, both = engines
    texts = [
        "Short one.",
        *templates.DIRECT_THREATS[:3],
        "A much longer comment about the council's budget, the bus routes, the new "
        "library and the state of the roads, which goes on for a while before it ends.",
    ]
    norms = [normalise(t) for t in texts]
    together = both.score_normalised(norms)
    apart = np.vstack([both.score_normalised([n]) for n in norms])
    np.testing.assert_array_equal(together, apart)


def _auc(engine: Engine, rows: list, attr: str) -> float:
    from sklearn.metrics import roc_auc_score

    probs = engine.score_normalised([normalise(e.text) for e in rows])
    y = np.array([e.labels[attr] for e in rows])
    return float(roc_auc_score(y, probs[:, ATTRIBUTES.index(attr)]))


@pytest.mark.parametrize(
    ("source", "attr", "gain"),
    [
        ("jigsaw_toxic_10k", "toxicity", 0.004),
        ("jigsaw_toxic_10k", "insult", 0.01),
        ("olid_offenseval2019", "toxicity", 0.02),
        ("davidson_hate_offensive", "identity_attack", 0.005),
        ("ethos_binary", "identity_attack", 0.01),
    ],
)
def test_the_second_tier_ranks_validation_comments_better(
    engines, datasets: Path, source: str, attr: str, gain: float
) -> None:
    alone, both = engines
    rows = [e for e in load_source(datasets, source) if e.validation and attr in e.labels][:2000]
    assert _auc(both, rows, attr) > _auc(alone, rows, attr) + gain


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


def test_the_blend_weight_follows_whichever_tier_ranks_an_attribute_better() -> None:
    from townhall.moderation.second_tier import blend
    from townhall.moderation.second_tier_training import (
        ALPHAS,
        choose_alpha,
        labelled_pairs,
        mean_auc,
    )

    rng = np.random.default_rng(0)
    n = 400
    labels = [{"toxicity": int(i % 4 == 0), "spam": int(i % 5 == 0)} for i in range(n)]
    pairs = labelled_pairs(labels, ["a"] * n)
    tox, spam = ATTRIBUTES.index("toxicity"), ATTRIBUTES.index("spam")
    truth = np.zeros((n, len(ATTRIBUTES)))
    truth[:, tox] = [row["toxicity"] for row in labels]
    truth[:, spam] = [row["spam"] for row in labels]
    noise = rng.normal(size=truth.shape)
    # The first tier knows spam and guesses toxicity; the sentence model the reverse.
    first = 1 / (1 + np.exp(-noise))
    first[:, spam] = np.where(truth[:, spam] == 1, 0.9, 0.1) + 0.01 * rng.random(n)
    logits = rng.normal(size=truth.shape)
    logits[:, tox] = 4 * truth[:, tox] - 2 + 0.1 * rng.normal(size=n)
    alpha = choose_alpha(first, logits, pairs)
    # Ties go to the smaller weight: enough sentence model to rank toxicity
    # perfectly, none of it for spam.
    assert alpha[tox] > 0.5
    assert mean_auc(blend(first, logits, alpha), [p for p in pairs if p[0] == tox]) == 1.0
    assert alpha[spam] == min(ALPHAS) == 0.0
    # Attributes no pair labels keep the middle weight.
    assert alpha[ATTRIBUTES.index("threat")] == 0.5
