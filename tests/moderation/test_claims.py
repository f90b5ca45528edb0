"""Matching comments against a newsroom's debunked claims."""

from __future__ import annotations

import pytest

from townhall.moderation import Policy
from townhall.moderation.claims import ClaimMatcher

CLAIMS = (
    "The moon landing in 1969 was staged in a film studio.",
    "5G mobile masts spread the coronavirus.",
    "The new bridge was paid for with pension fund money.",
)


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        ("Everyone knows the 1969 moon landing was staged in a film studio.", 0),
        ("Interesting piece. But 5G masts spread coronavirus, wake up!", 1),
        ("I heard the coronavirus is spread by 5G mobile masts.", 1),
        ("They paid for the new bridge with pension fund money, shameful.", 2),
    ],
)
def test_restatements_of_a_claim_match_it(text: str, claim: int) -> None:
    match = ClaimMatcher(CLAIMS).best(text)
    assert match is not None
    assert match.claim == CLAIMS[claim]
    assert match.score >= Policy().claim_threshold
    assert text[match.span[0] : match.span[1]].strip()


@pytest.mark.parametrize(
    "text",
    [
        "The new bridge opens next week and looks great.",
        "My pension fund did well this year.",
        "We watched a film about the moon last night.",
        "Mobile coverage in the village is still poor.",
    ],
)
def test_related_but_different_comments_do_not_match(text: str) -> None:
    match = ClaimMatcher(CLAIMS).best(text)
    assert match is None or match.score < Policy().claim_threshold


def test_a_matching_claim_holds_the_comment_under_truthful(engine) -> None:
    text = "Interesting piece. But 5G masts spread coronavirus, wake up!"
    verdict = engine.judge(text, Policy(debunked_claims=CLAIMS))
    assert verdict.decision == "pending"
    reason = next(r for r in verdict.reasons if r.attribute == "claim")
    assert reason.guideline == "truthful"
    start, end = reason.spans[0]
    assert "5G masts" in text[start:end]
    assert engine.judge(text).decision == "published"  # no claims list, no hold


def test_no_claims_means_no_match() -> None:
    assert ClaimMatcher(()).best("anything at all") is None
    assert ClaimMatcher(CLAIMS).best("") is None
