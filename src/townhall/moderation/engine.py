"""The moderation engine: one call from comment text to a :class:`Verdict`.

``get_engine().judge(text, policy, context)`` runs the pipeline of DESIGN.md:
normalise → site word lists and links → classifier (plus any extra scorers)
→ debunked claims → reputation-adjusted thresholds → pre-moderation →
decision. Every hold or rejection carries a :class:`Reason` naming the
guideline, the attribute and the score that caused it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from townhall.moderation.claims import claim_matcher
from townhall.moderation.classifier import MODEL_DIR, LinearClassifier, merge_spans
from townhall.moderation.normalise import Normalised, normalise, scoring_text
from townhall.moderation.rules import find_links, links_rule, word_rule
from townhall.moderation.scorers import ScoreResult
from townhall.moderation.second_tier import SecondTier
from townhall.moderation.types import (
    ATTRIBUTE_GUIDELINES,
    ATTRIBUTES,
    Context,
    Decision,
    Policy,
    Reason,
    Verdict,
)

__all__ = ["Engine", "Thresholds", "get_engine", "thresholds_for"]

#: How far reputation moves the thresholds (absolute score units).
TRUSTED_SHIFT = 0.05
NEW_AUTHOR_SHIFT = -0.05
TRUSTED_MIN_APPROVED = 10
MAX_THRESHOLD = 0.995


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Effective hold and reject thresholds for one author under one policy."""

    hold: dict[str, float]
    reject: dict[str, float]


def reputation_shift(context: Context) -> float:
    """Return how much to move thresholds for this author.

    Positive (more lenient) for authors with at least
    ``TRUSTED_MIN_APPROVED`` approved comments and few rejections; negative
    (stricter) for new authors and for authors with more rejected comments
    than approved ones; zero otherwise.
    """
    if context.new_author:
        return NEW_AUTHOR_SHIFT
    if context.rejected_count >= 3 and context.rejected_count > context.approved_count:
        return NEW_AUTHOR_SHIFT
    if (
        context.approved_count >= TRUSTED_MIN_APPROVED
        and context.rejected_count * 10 <= context.approved_count
    ):
        return TRUSTED_SHIFT
    return 0.0


def thresholds_for(policy: Policy, context: Context) -> Thresholds:
    """Return the policy's thresholds adjusted for the author's reputation.

    Thresholds above 1 (an attribute switched off) are never moved.
    """
    shift = reputation_shift(context) if policy.reputation else 0.0

    def move(value: float) -> float:
        if value > 1.0:
            return value
        return min(MAX_THRESHOLD, max(0.05, value + shift))

    return Thresholds(
        hold={a: move(policy.hold_threshold(a)) for a in ATTRIBUTES},
        reject={a: move(policy.reject_threshold(a)) for a in ATTRIBUTES},
    )


class Engine:
    """Judges comments. Create once (see :func:`get_engine`) and share.

    Thread-safe: holds only the read-only model and caches.
    """

    def __init__(
        self,
        classifier: LinearClassifier,
        second_tier: SecondTier | None = None,
    ) -> None:
        self.classifier = classifier
        self.second_tier = second_tier

    def score_normalised(self, norms: Sequence[Normalised]) -> np.ndarray:
        """Return the ``(n, 7)`` classifier probabilities for normalised comments:
        the linear model's, blended with the sentence model's when there is one."""
        texts = [scoring_text(n) for n in norms]
        probs = self.classifier.score_normalised(texts)
        if self.second_tier is not None and len(texts):
            probs = self.second_tier.refine(probs, texts)
        return probs

    def judge(
        self, text: str, policy: Policy | None = None, context: Context | None = None
    ) -> Verdict:
        """Judge one comment under ``policy`` (default policy when None).

        Returns a :class:`Verdict`; never raises for any ``str`` input.
        """
        return self.judge_many([text], policy, context)[0]

    def judge_many(
        self,
        texts: Sequence[str],
        policy: Policy | None = None,
        context: Context | None = None,
    ) -> list[Verdict]:
        """Judge several comments at once (faster: one classifier call).

        All comments share ``policy`` and ``context``. Returns one
        :class:`Verdict` per text, in order.
        """
        policy = policy or Policy()
        context = context or Context()
        norms = [normalise(t) for t in texts]
        probs = self.score_normalised(norms)
        scores = [dict(zip(ATTRIBUTES, map(float, row), strict=True)) for row in probs]
        failures: list[list[Reason]] = [[] for _ in texts]
        for scorer in policy.extra_scorers:
            results: list[ScoreResult] = scorer.score(list(texts))
            for i, result in enumerate(results):
                if result.error is not None:
                    if scorer.failure_policy == "hold":
                        failures[i].append(Reason(scorer.guideline, "scorer_unavailable", 1.0))
                    continue
                for attr, value in result.scores.items():
                    if attr in scores[i]:
                        scores[i][attr] = max(scores[i][attr], value)
        self.classifier.prime_word_scores(norms)
        limits = thresholds_for(policy, context)
        return [
            self._decide(norm, score, policy, context, limits, failed)
            for norm, score, failed in zip(norms, scores, failures, strict=True)
        ]

    def _decide(
        self,
        norm: Normalised,
        scores: dict[str, float],
        policy: Policy,
        context: Context,
        limits: Thresholds,
        failures: list[Reason],
    ) -> Verdict:
        text = norm.original
        decisions: list[Decision] = [Decision("hold", r) for r in failures]
        banned = word_rule(
            norm,
            policy.banned_words,
            action="reject",
            guideline=policy.banned_words_guideline,
            attribute="banned_word",
        )
        suspect = word_rule(
            norm,
            policy.suspect_words,
            action="hold",
            guideline=policy.suspect_words_guideline,
            attribute="suspect_word",
        )
        decisions += [d for d in (banned, suspect) if d is not None]
        link_spans = tuple(find_links(text))
        links = links_rule(text, policy.links) if link_spans else None
        if links is not None:
            decisions.append(links)

        spans = self.classifier.spans(norm, scores["toxicity"])
        word_spans = [s for d in (banned, suspect) if d is not None for s in d.reason.spans]
        all_spans = tuple(merge_spans([*spans, *word_spans], text))

        for attr in ATTRIBUTES:
            value = scores[attr]
            if value >= limits.reject[attr]:
                action = "reject"
            elif value >= limits.hold[attr]:
                action = "hold"
            else:
                continue
            attr_spans = link_spans if attr == "spam" else tuple(spans)
            for guideline in ATTRIBUTE_GUIDELINES[attr]:
                decisions.append(Decision(action, Reason(guideline, attr, value, attr_spans)))

        if policy.debunked_claims:
            match = claim_matcher(tuple(policy.debunked_claims)).best(text)
            if match is not None and match.score >= policy.claim_threshold:
                reason = Reason("truthful", "claim", match.score, (match.span,))
                decisions.append(Decision("hold", reason))

        premod = policy.premoderation
        if premod == "all" or (premod == "new_users" and context.new_author):
            decisions.append(Decision("hold", Reason("proactive", "premoderation", 1.0)))
        elif premod == "links" and link_spans:
            decisions.append(Decision("hold", Reason("spam", "premoderation", 1.0)))

        if any(d.action == "reject" for d in decisions):
            outcome = "rejected"
        elif decisions:
            outcome = "pending"
        else:
            outcome = "published"
        decisions.sort(key=lambda d: (d.action != "reject", -d.reason.score))
        return Verdict(
            decision=outcome,
            scores=scores,
            reasons=tuple(d.reason for d in decisions),
            spans=all_spans,
        )


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    """Return the process-wide engine with the shipped model, loading it once.

    Raises :class:`~townhall.moderation.classifier.ModelError` when the model
    files are missing or broken.
    """
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                tier = SecondTier(MODEL_DIR) if SecondTier.available(MODEL_DIR) else None
                _engine = Engine(LinearClassifier(), tier)
    return _engine
