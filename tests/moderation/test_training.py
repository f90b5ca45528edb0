"""Training is deterministic; the shipped model treats identity terms evenly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from townhall.moderation.classifier import MODEL_DIR, LinearClassifier
from townhall.moderation.datasets import TRAIN_SOURCES, is_validation, load_source
from townhall.moderation.engine import Engine
from townhall.moderation.evaluation import identity_fpr, span_f1
from townhall.moderation.finetune import FineTuneConfig, length_batches, mixed_head, pos_weights
from townhall.moderation.second_tier import SecondTier
from townhall.moderation.training import train_model
from townhall.moderation.types import ATTRIBUTES

MODEL_FILES = ("weights.npz", "meta.json", "second_tier.npz", "sentence.onnx", "tokenizer.json")


def test_training_twice_gives_identical_bytes(
    datasets: Path, tmp_path: Path, train_extra: None
) -> None:
    # Fine-tuning included: one thread, a fixed seed and a fixed batch order.
    first = train_model(datasets, tmp_path / "a", show_progress=False, sample=100, finetune=True)
    second = train_model(datasets, tmp_path / "b", show_progress=False, sample=100, finetune=True)
    assert first.sha256 == second.sha256
    for name in MODEL_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # A fresh sentence model, not the shipped one, and the model it makes loads and scores.
    fresh = (tmp_path / "a" / "sentence.onnx").read_bytes()
    assert fresh != (MODEL_DIR / "sentence.onnx").read_bytes()
    meta = json.loads((tmp_path / "a" / "meta.json").read_text())
    # 100 rows of every training source and 100 templates.
    assert meta["second_tier"]["training"]["rows"] == 100 * (len(TRAIN_SOURCES) + 1)
    engine = Engine(LinearClassifier(tmp_path / "a"), SecondTier(tmp_path / "a"))
    clean, rude = engine.judge_many(["thank you for the article", "you are a fucking idiot"])
    assert rude.scores["toxicity"] > clean.scores["toxicity"]


def test_without_fine_tuning_training_keeps_the_shipped_sentence_model(
    datasets: Path, tmp_path: Path
) -> None:
    train_model(datasets, tmp_path, show_progress=False, sample=100, finetune=False)
    for name in ("sentence.onnx", "tokenizer.json"):
        assert (tmp_path / name).read_bytes() == (MODEL_DIR / name).read_bytes()
    meta = json.loads((tmp_path / "meta.json").read_text())
    shipped = json.loads((MODEL_DIR / "meta.json").read_text())
    assert meta["second_tier"]["training"] == shipped["second_tier"]["training"]
    assert set(meta["second_tier"]["alpha"]) == set(ATTRIBUTES)


def test_fine_tuning_batches_hold_every_row_once_in_similar_lengths() -> None:
    rng = np.random.default_rng(1)
    lengths = [int(x) for x in rng.integers(3, 48, size=5000)]
    batches = length_batches(lengths, 32, seed=0)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(5000))
    assert all(len(b) <= 32 for b in batches)
    # Padding wasted: sorted within windows, a batch spans few lengths.
    spread = np.mean([np.ptp([lengths[i] for i in b]) for b in batches])
    assert spread < 3
    # Seeded: the same order every time, another seed another order.
    again = length_batches(lengths, 32, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    assert not np.array_equal(batches[0], length_batches(lengths, 32, seed=1)[0])


def test_rare_labels_weigh_more_within_bounds() -> None:
    y = np.zeros((1000, 7), dtype=np.float32)
    m = np.ones_like(y)
    y[:500, 0] = 1  # common: weight 1
    y[:10, 1] = 1  # rare: sqrt(990/10) ~ 9.9, capped at 8
    y[:100, 2] = 1  # sqrt(900/100) = 3
    m[:, 3] = 0  # unlabelled: no positives, no negatives
    w = pos_weights(y, m, cap=8.0)
    assert w[0] == pytest.approx(1.0)
    assert w[1] == pytest.approx(8.0)
    assert w[2] == pytest.approx(3.0)
    assert w[3] == pytest.approx(1.0)


def test_the_exported_head_mixes_the_data_sets_heads_that_label_each_attribute() -> None:
    # Two data sets, three attributes, hidden size 2: the first labels
    # attributes 0 and 1, the second only 0; nobody labels attribute 2.
    pooled_w = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    pooled_b = np.array([0.5, 0.5, 0.5])
    source_w = np.array(
        [
            [[4.0, 0.0], [6.0, 0.0], [9.0, 9.0]],
            [[0.0, 8.0], [7.0, 7.0], [9.0, 9.0]],
        ]
    )
    source_b = np.array([[1.0, 2.0, 9.0], [3.0, 9.0, 9.0]])
    labelled = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])

    w, b = mixed_head(pooled_w, pooled_b, source_w, source_b, labelled, "sources")
    # The mean of the heads of the data sets that label it, and nobody else's.
    assert w[0].tolist() == [2.0, 4.0] and b[0] == 2.0
    assert w[1].tolist() == [6.0, 0.0] and b[1] == 2.0
    # An attribute no data set labels keeps the shared head.
    assert w[2].tolist() == [3.0, 3.0] and b[2] == 0.5

    both_w, both_b = mixed_head(pooled_w, pooled_b, source_w, source_b, labelled, "both")
    assert both_w[0].tolist() == [1.5, 2.5] and both_b[0] == 1.25
    assert mixed_head(pooled_w, pooled_b, source_w, source_b, labelled, "pooled")[0] is pooled_w
    with pytest.raises(ValueError, match="unknown head mix"):
        mixed_head(pooled_w, pooled_b, source_w, source_b, labelled, "max")
    # A misspelt mix is refused before any training, not after it.
    with pytest.raises(ValueError, match="unknown head mix 'sum'"):
        FineTuneConfig(head_mix="sum")


def test_ethos_is_never_trained_on() -> None:
    assert not any(source.startswith("ethos") for source in TRAIN_SOURCES)


def test_the_validation_split_is_a_stable_fifth(datasets: Path) -> None:
    rows = load_source(datasets, "olid_offenseval2019")
    share = np.mean([e.validation for e in rows])
    assert 0.17 < share < 0.23
    # Grouped by text: case and spacing do not move a row across the split.
    assert is_validation("Hello  World") == is_validation("hello world")


def test_neutral_identity_sentences_are_treated_evenly(engine) -> None:
    table = identity_fpr(engine)
    mean_fpr = float(np.mean([row["fpr"] for row in table.values()]))
    mean_tox = float(np.mean([row["mean_toxicity"] for row in table.values()]))
    worst = max(table, key=lambda t: table[t]["fpr"])
    # One false positive in 16 sentences is the smallest non-zero rate; allow it.
    assert table[worst]["fpr"] <= max(2 * mean_fpr, 1 / 16), (worst, table[worst])
    assert mean_fpr <= 0.05
    for term, row in table.items():
        assert row["mean_toxicity"] <= max(2 * mean_tox, 0.2), (term, row)
    # And the same terms in hostile sentences are still caught.
    assert np.mean([row["tpr"] for row in table.values()]) >= 0.8


@pytest.mark.parametrize(
    ("predicted", "gold", "expected"),
    [
        ([set()], [set()], 1.0),
        ([{1, 2}], [set()], 0.0),
        ([set()], [{1}], 0.0),
        ([{1, 2, 3, 4}], [{3, 4}], 2 * 2 / 6),
        ([{1}, set()], [{1}, set()], 1.0),
    ],
)
def test_span_f1_follows_semeval(predicted, gold, expected) -> None:
    assert span_f1(predicted, gold) == pytest.approx(expected)


def test_the_exported_graph_scores_as_the_torch_model_does(
    tmp_path: Path, train_extra: None
) -> None:
    # The ONNX export warns that advanced indexing goes wrong for negative
    # indices; the int8 graph must still give the torch model's logits, within
    # what quantising the weights costs.
    import torch

    from townhall.moderation.finetune import _build, export_sentence_model
    from townhall.moderation.sentence_model import SentenceModel

    torch.manual_seed(0)
    model = _build(2).eval()
    export_sentence_model(model, tmp_path)
    reader = SentenceModel(tmp_path / "sentence.onnx", MODEL_DIR / "tokenizer.json")
    texts = ["thank you for the article", "you are a fucking idiot", "The council met. " * 12]
    ours = reader.logits(texts)
    with torch.no_grad():
        for i, ids in enumerate(reader.pieces(texts)):
            tokens = torch.tensor([ids])
            theirs = model(tokens, torch.ones_like(tokens)).numpy()[0]
            assert np.abs(ours[i] - theirs).max() < 0.15, (texts[i], ours[i], theirs)


def test_the_trained_model_reads_with_its_heads_mixed(train_extra: None) -> None:
    # Trained with a head per data set, the model the sentence tier reads must
    # give, for each attribute, the mean of the shared head and the heads of
    # the data sets that label it; the templates' head never counts.
    import torch

    from townhall.moderation.finetune import _build, _mix_heads

    torch.manual_seed(0)
    names = ["jigsaw_toxic_10k", "templates", "youtube_spam"]
    model = _build(2, len(names)).eval()
    source = np.array([0, 1, 2])
    m = np.zeros((3, len(ATTRIBUTES)), dtype=np.float32)
    m[0, :6] = 1  # Jigsaw labels all but spam
    m[1, :] = 1  # the templates, everything (never mixed in)
    m[2, 6] = 1  # YouTube labels spam
    tokens = torch.tensor([[101, 7592, 2088, 102]])
    with torch.no_grad():
        pooled = model.pool(tokens, torch.ones_like(tokens))
        shared = model.head(pooled)[0]
        own = model.source_head(pooled).view(len(names), len(ATTRIBUTES))
        expected = shared.clone()
        expected[:6] = (shared[:6] + own[0, :6]) / 2
        expected[6] = (shared[6] + own[2, 6]) / 2
        _mix_heads(model, names, m, source, "both")
        got = model(tokens, torch.ones_like(tokens))[0]
    assert model.source_head is None
    assert torch.allclose(got, expected, atol=1e-5)
    assert not torch.allclose(got, shared, atol=1e-3)
