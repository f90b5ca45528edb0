"""Reading the labelled data sets in ``../shared/datasets`` and mapping their labels.

Every data set labels different things in different words. ``LABEL_MAP``
documents, per data set, which column becomes which of the seven attributes
(``None`` where a row says nothing about an attribute). ETHOS is GPL-3.0 and
is only ever read for evaluation (``EVAL_ONLY``).

The validation split is cut here, the same way for training and evaluation:
a row is in validation when a keyed hash of its whitespace- and case-folded
text falls in the bottom fifth, so duplicates always land on the same side.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from townhall.moderation.lexicon import SEXUAL

__all__ = [
    "EVAL_ONLY",
    "LABEL_MAP",
    "SPLIT_SEED",
    "TRAIN_SOURCES",
    "Example",
    "SpanExample",
    "default_datasets_dir",
    "is_validation",
    "load_source",
    "load_spans",
]

SPLIT_SEED = "townhall-val-2026"
VALIDATION_FRACTION = 0.2

Labels = dict[str, int | None]


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text. ``labels`` maps attribute → 0/1; absent = unknown."""

    source: str
    text: str
    labels: dict[str, int] = field(default_factory=dict)
    validation: bool = False


@dataclass(frozen=True, slots=True)
class SpanExample:
    """A toxic_spans post with its gold character offsets."""

    text: str
    offsets: frozenset[int]
    validation: bool = False


def default_datasets_dir() -> Path:
    """Return ``$TOWNHALL_DATASETS`` or ``<repo>/../shared/datasets``."""
    env = os.environ.get("TOWNHALL_DATASETS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "datasets"


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def is_validation(text: str) -> bool:
    """Tell whether ``text`` belongs to the validation split (20%, fixed seed)."""
    digest = hashlib.blake2b(
        _key(text).encode("utf-8"), digest_size=8, key=SPLIT_SEED.encode()
    ).digest()
    return int.from_bytes(digest, "big") / 2**64 < VALIDATION_FRACTION


_SEXUAL_RE = re.compile(r"\b(?:" + "|".join(sorted(SEXUAL)) + r")\b")


def _sexual(text: str, offensive: bool) -> int:
    # Weak label: no data set labels sexual content directly (model card).
    if not offensive:
        return 0
    from townhall.moderation.normalise import normalise

    return int(bool(_SEXUAL_RE.search(normalise(text).text)))


def _jigsaw(r: dict[str, str]) -> Labels:
    any_label = int(r["any_label"]) or int(r["toxic"])
    return {
        "toxicity": any_label,
        "obscene": int(r["obscene"]),
        "threat": int(r["threat"]),
        "insult": int(r["insult"]),
        "identity_attack": int(r["identity_hate"]),
        "sexual": _sexual(r["text"], bool(int(r["obscene"]) or int(r["toxic"]))),
    }


def _davidson(r: dict[str, str]) -> Labels:
    cls = int(r["class"])
    return {
        "toxicity": int(cls in (0, 1)),
        "identity_attack": int(cls == 0),
        "sexual": _sexual(r["text"], cls == 1),
    }


def _olid(r: dict[str, str]) -> Labels:
    return {"toxicity": int(r["subtask_a"] == "OFF")}


def _hasoc(r: dict[str, str]) -> Labels:
    t2 = r["task_2"]
    return {
        "toxicity": int(r["task_1"] == "HOF"),
        "obscene": {"PRFN": 1, "NONE": 0}.get(t2),
    }


def _impermium(r: dict[str, str]) -> Labels:
    return {"insult": int(r["Insult"])}


def _gab(r: dict[str, str]) -> Labels:
    hd, cv, vo = int(r["hd"]), int(r["cv"]), int(r["vo"])
    return {
        "toxicity": int(hd or cv or vo),
        "identity_attack": hd,
        "threat": cv,
        "obscene": vo,
        "sexual": _sexual(r["text"], bool(vo)),
    }


def _stormfront(r: dict[str, str]) -> Labels:
    label = r["label"]
    if label not in ("hate", "noHate"):
        return {}
    hate = int(label == "hate")
    return {"toxicity": hate, "identity_attack": hate}


def _youtube(r: dict[str, str]) -> Labels:
    return {"spam": int(r["CLASS"])}


def _ethos_binary(r: dict[str, str]) -> Labels:
    hate = int(r["is_hate_binary"])
    return {"identity_attack": hate, "toxicity": hate}


def _ethos_multilabel(r: dict[str, str]) -> Labels:
    return {"threat": int(r["violence_binary"])}


#: data set → (function from a CSV row to attribute labels, description).
LABEL_MAP: dict[str, tuple[Callable[[dict[str, str]], Labels], str]] = {
    "jigsaw_toxic_10k": (
        _jigsaw,
        "toxicity=any_label or toxic; obscene; threat; insult; identity_attack=identity_hate;"
        " sexual=weak (obscene or toxic, and a sexual word)",
    ),
    "davidson_hate_offensive": (
        _davidson,
        "toxicity=hate or offensive vs neither; identity_attack=hate vs rest;"
        " sexual=weak (offensive and a sexual word)",
    ),
    "olid_offenseval2019": (_olid, "toxicity=subtask_a OFF vs NOT"),
    "hasoc2019_en": (_hasoc, "toxicity=task_1 HOF vs NOT; obscene=task_2 PRFN vs NONE"),
    "impermium_insults": (_impermium, "insult=Insult"),
    "gab_hate_corpus": (
        _gab,
        "toxicity=hd or cv or vo; identity_attack=hd; threat=cv; obscene=vo;"
        " sexual=weak (vo and a sexual word)",
    ),
    "stormfront_hate": (
        _stormfront,
        "toxicity=identity_attack=hate vs noHate (relation and idk/skip dropped)",
    ),
    "youtube_spam": (_youtube, "spam=CLASS"),
    "ethos_binary": (_ethos_binary, "evaluation only: identity_attack=is_hate_binary"),
    "ethos_multilabel": (_ethos_multilabel, "evaluation only: threat=violence_binary"),
}

EVAL_ONLY: frozenset[str] = frozenset({"ethos_binary", "ethos_multilabel"})
TRAIN_SOURCES: tuple[str, ...] = tuple(s for s in LABEL_MAP if s not in EVAL_ONLY)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def load_source(datasets: Path, source: str, limit: int | None = None) -> list[Example]:
    """Return the labelled examples of one data set, with their split.

    ``limit`` stops after that many training-split rows (for quick tests).
    Raises ``FileNotFoundError`` when the data set is missing. ETHOS rows are
    all marked as validation: they are never trained on.
    """
    mapper = LABEL_MAP[source][0]
    out: list[Example] = []
    n_train = 0
    for row in _rows(datasets / source / "train.csv"):
        text = row["text"]
        if not text.strip():
            continue
        if limit is not None and n_train >= limit:
            break
        labels = {k: v for k, v in mapper(row).items() if v is not None}
        if not labels:
            continue
        validation = source in EVAL_ONLY or is_validation(text)
        n_train += not validation
        out.append(Example(source, text, labels, validation))
    return out


def load_spans(datasets: Path) -> list[SpanExample]:
    """Return the toxic_spans posts with gold offsets and their split."""
    out = []
    for row in _rows(datasets / "toxic_spans" / "train.csv"):
        text = row["text"]
        offsets = frozenset(int(i) for i in json.loads(row["spans"]))
        out.append(SpanExample(text, offsets, is_validation(text)))
    return out
