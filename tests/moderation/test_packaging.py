"""The engine stands alone: no Django, no pickles, a small model."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from townhall.moderation.classifier import MODEL_DIR, LinearClassifier


def test_importing_and_using_the_engine_does_not_import_django() -> None:
    code = (
        "import sys\n"
        "import townhall.moderation\n"
        "from townhall.moderation import get_engine, Policy\n"
        "from townhall.moderation import cli, evaluation, training, rules, claims, scorers\n"
        "get_engine().judge('hello there', Policy())\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_no_source_file_of_the_engine_mentions_django() -> None:
    package = Path(__file__).resolve().parents[2] / "src" / "townhall" / "moderation"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, path


def test_the_model_is_small_and_has_no_pickles() -> None:
    files = sorted(p.name for p in MODEL_DIR.iterdir() if p.is_file())
    assert files == [
        "meta.json",
        "second_tier.npz",
        "sentence.onnx",
        "tokenizer.json",
        "weights.npz",
    ]
    assert sum(p.stat().st_size for p in MODEL_DIR.iterdir()) < 30_000_000
    for archive in ("weights.npz", "second_tier.npz"):
        with zipfile.ZipFile(MODEL_DIR / archive) as zf:
            for name in zf.namelist():
                assert name.endswith(".npy")
        with np.load(MODEL_DIR / archive, allow_pickle=False) as z:
            for name in z.files:
                assert z[name].dtype != object
    # The sentence model is a plain ONNX graph: onnxruntime loads it without custom code,
    # and it gives one logit per attribute.
    import onnxruntime

    session = onnxruntime.InferenceSession(str(MODEL_DIR / "sentence.onnx"))
    assert [i.name for i in session.get_inputs()] == ["input_ids", "attention_mask"]
    ids = np.array([[101, 7592, 102]], dtype=np.int64)
    (logits,) = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    assert logits.shape == (1, 7)


def test_the_model_loads_and_scores() -> None:
    clf = LinearClassifier()
    scores = clf.score(["what a lovely day", "you stupid fucking idiot"])
    assert scores[1]["toxicity"] > scores[0]["toxicity"]
    assert scores[1]["insult"] > 0.5 > scores[0]["insult"]
