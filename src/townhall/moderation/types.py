"""Value types of the moderation engine: policy, context, reasons and verdicts.

All are frozen dataclasses so they can be shared between threads and cached.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from townhall.moderation.scorers import Scorer

__all__ = [
    "ATTRIBUTES",
    "ATTRIBUTE_GUIDELINES",
    "DEFAULT_HOLD",
    "DEFAULT_REJECT",
    "Context",
    "Decision",
    "LinksPolicy",
    "Policy",
    "Reason",
    "Verdict",
]

#: The seven classifier attributes, in output order.
ATTRIBUTES: tuple[str, ...] = (
    "toxicity",
    "obscene",
    "sexual",
    "threat",
    "insult",
    "identity_attack",
    "spam",
)

#: Which guideline each attribute enforces (DESIGN.md, "The guidelines as the
#: moderation vocabulary"). ``identity_attack`` is racist language (``clean``)
#: and an -ism degrading a person (``nice``); a reason names the first.
ATTRIBUTE_GUIDELINES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "toxicity": ("nice",),
        "obscene": ("clean",),
        "sexual": ("clean",),
        "threat": ("no_threats",),
        "insult": ("nice",),
        "identity_attack": ("clean", "nice"),
        "spam": ("spam",),
    }
)

Outcome = Literal["published", "pending", "rejected"]
PremoderationMode = Literal["off", "new_users", "links", "all"]

# Thresholds picked on the validation split (see docs/moderation/model-card.md,
# "Thresholds"): ``hold`` sends a comment to the moderation queue, ``reject``
# refuses it. Hold ≈ the F1-maximising score on the Jigsaw validation rows
# (YouTube for spam), rounded up; reject = the lowest score with precision
# >= 0.97 on the pooled validation rows, raised by hand for ``sexual`` (weak
# labels) and ``spam`` (YouTube-only data).
DEFAULT_HOLD: Mapping[str, float] = MappingProxyType(
    {
        "toxicity": 0.6,
        "obscene": 0.2,
        "sexual": 0.15,
        "threat": 0.08,
        "insult": 0.4,
        "identity_attack": 0.4,
        "spam": 0.3,
    }
)
DEFAULT_REJECT: Mapping[str, float] = MappingProxyType(
    {
        "toxicity": 0.99,
        "obscene": 0.995,
        "sexual": 0.95,
        "threat": 0.99,
        "insult": 0.96,
        "identity_attack": 0.89,
        "spam": 0.95,
    }
)


@dataclass(frozen=True, slots=True)
class LinksPolicy:
    """How links are treated.

    ``hold_any``: hold every comment with a link. ``max_links``: hold comments
    with more than this many links (``None``: no limit).
    """

    hold_any: bool = False
    max_links: int | None = 2


@dataclass(frozen=True, slots=True)
class Policy:
    """A site's moderation policy. The defaults are townhall's default policy.

    Word lists are matched as whole words on normalised text, so disguised
    spellings match too. Thresholds missing from ``hold``/``reject`` fall back
    to the defaults; a threshold above 1 disables that action. Raises
    ``ValueError`` for an unknown attribute or premoderation mode, and for a
    threshold that is negative, NaN or infinite.
    """

    hold: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_HOLD))
    reject: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_REJECT))
    banned_words: tuple[str, ...] = ()
    suspect_words: tuple[str, ...] = ()
    banned_words_guideline: str = "clean"
    suspect_words_guideline: str = "clean"
    links: LinksPolicy = field(default_factory=LinksPolicy)
    premoderation: PremoderationMode = "off"
    debunked_claims: tuple[str, ...] = ()
    claim_threshold: float = 0.55
    extra_scorers: tuple[Scorer, ...] = ()
    reputation: bool = True

    def __post_init__(self) -> None:
        if self.premoderation not in ("off", "new_users", "links", "all"):
            raise ValueError(f"unknown premoderation mode {self.premoderation!r}")
        for table in (self.hold, self.reject):
            for name, value in table.items():
                if name not in ATTRIBUTES:
                    raise ValueError(f"unknown attribute {name!r} in thresholds")
                if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                    raise ValueError(f"threshold for {name!r} must be a finite number >= 0")
        if not math.isfinite(self.claim_threshold):
            raise ValueError("claim_threshold must be finite")

    def hold_threshold(self, attribute: str) -> float:
        """Return the score at or above which ``attribute`` holds a comment."""
        return float(self.hold.get(attribute, DEFAULT_HOLD.get(attribute, 1.01)))

    def reject_threshold(self, attribute: str) -> float:
        """Return the score at or above which ``attribute`` rejects a comment."""
        return float(self.reject.get(attribute, DEFAULT_REJECT.get(attribute, 1.01)))


@dataclass(frozen=True, slots=True)
class Context:
    """What the engine knows about the author. All fields optional.

    ``is_new`` defaults to "account younger than a day or no approved comment"
    when left as ``None``.
    """

    approved_count: int = 0
    rejected_count: int = 0
    account_age_days: float | None = None
    is_new: bool | None = None

    @property
    def new_author(self) -> bool:
        """True when the author counts as new for pre-moderation and thresholds."""
        if self.is_new is not None:
            return self.is_new
        if self.account_age_days is not None and self.account_age_days < 1:
            return True
        return self.approved_count == 0 and self.account_age_days is not None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a comment was held or rejected: the guideline, attribute and score.

    ``spans`` are ``[start, end)`` character ranges of the original text.
    """

    guideline: str
    attribute: str
    score: float
    spans: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape ``{"guideline", "attribute", "score", "spans"}``."""
        return {
            "guideline": self.guideline,
            "attribute": self.attribute,
            "score": round(float(self.score), 4),
            "spans": [list(s) for s in self.spans],
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What one rule concluded: an action and the reason for it.

    ``action`` is ``"hold"`` (send to moderators) or ``"reject"``.
    """

    action: Literal["hold", "reject"]
    reason: Reason

    @property
    def score(self) -> float:
        """The score that triggered the decision."""
        return self.reason.score


@dataclass(frozen=True, slots=True)
class Verdict:
    """The engine's judgement of one comment.

    ``decision`` is ``published``, ``pending`` or ``rejected``; ``scores`` has
    the seven attributes; ``reasons`` lists every rule that fired (empty when
    published); ``spans`` are the original-text ranges judged offensive,
    whatever the decision.
    """

    decision: Outcome
    scores: Mapping[str, float]
    reasons: tuple[Reason, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"decision", "scores", "reasons", "spans"}`` ready for JSON."""
        return {
            "decision": self.decision,
            "scores": {k: round(float(v), 4) for k, v in self.scores.items()},
            "reasons": [r.to_dict() for r in self.reasons],
            "spans": [list(s) for s in self.spans],
        }
