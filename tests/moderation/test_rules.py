"""Site word lists and the links policy."""

from __future__ import annotations

import pytest

from townhall.moderation.normalise import normalise
from townhall.moderation.rules import count_links, links_rule, word_list, word_rule
from townhall.moderation.types import Decision, LinksPolicy

BANNED = ("idiot", "scum", "ass", "dick", "brexshit", "lock her up")


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("you idiot", ["idiot"]),
        ("You IDIOT!", ["IDIOT"]),
        ("you 1d10t", ["1d10t"]),
        ("you i d i o t", ["i d i o t"]),
        ("you i.d.i.o.t.", ["i.d.i.o.t"]),
        ("you idiooooot", ["idiooooot"]),
        ("what sc*m", ["sc*m"]),
        ("kiss my @ss", ["@ss"]),
        ("total brexsh1t", ["brexsh1t"]),
        ("they chanted lock   her up again", ["lock   her up"]),
        ("don't be a dick", ["dick"]),
    ],
)
def test_banned_words_match_whole_words_and_disguises(text: str, matched: list[str]) -> None:
    spans = word_list(BANNED).find(normalise(text))
    assert [text[s:e] for s, e in spans] == matched


@pytest.mark.parametrize(
    "text",
    [
        "The assassin escaped from Sussex to Essex.",
        "A classic cocktail in Scunthorpe.",
        "Dick Cheney and Matt Hancock met in Penistone.",
        "The idiotic plan",  # a different word from the banned "idiot"
        "scummy weather",
        "as I said, grapes and a therapist",
        "Lock the door; her keys are up there.",
    ],
)
def test_banned_words_leave_other_words_alone(text: str) -> None:
    assert word_list(BANNED).find(normalise(text)) == []


def test_word_rule_returns_a_frozen_decision_with_reason_and_spans() -> None:
    text = "you are an 1d10t"
    decision = word_rule(
        normalise(text), BANNED, action="reject", guideline="clean", attribute="banned_word"
    )
    assert isinstance(decision, Decision)
    assert decision.action == "reject"
    assert decision.reason.guideline == "clean"
    assert decision.reason.attribute == "banned_word"
    assert decision.reason.spans == ((11, 16),)
    with pytest.raises(AttributeError):
        decision.action = "hold"  # type: ignore[misc]


def test_word_rule_without_match_or_words_is_none() -> None:
    norm = normalise("a friendly comment")
    assert word_rule(norm, BANNED, action="hold", guideline="clean", attribute="x") is None
    assert word_rule(norm, (), action="hold", guideline="clean", attribute="x") is None


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no links here, e.g. this. Or that.", 0),
        ("see https://example.com/a?b=c", 1),
        ("www.example.org and http://x.io", 2),
        ("buy at cheap-pills.xyz now", 1),
        ("mail me at bob@example.com", 1),
        ("version 3.5 of the report", 0),
    ],
)
def test_it_counts_links(text: str, links: int) -> None:
    assert count_links(text) == links


@pytest.mark.parametrize(
    ("policy", "text", "action"),
    [
        (LinksPolicy(), "one https://a.com link", None),
        (LinksPolicy(max_links=2), "a.com b.com c.com", "hold"),
        (LinksPolicy(max_links=None), "a.com b.com c.com d.com", None),
        (LinksPolicy(hold_any=True), "see https://a.com", "hold"),
        (LinksPolicy(hold_any=True), "no link", None),
    ],
)
def test_links_policy(policy: LinksPolicy, text: str, action: str | None) -> None:
    decision = links_rule(text, policy)
    assert (decision.action if decision else None) == action
    if decision:
        assert decision.reason.guideline == "spam"
        assert decision.reason.attribute == "links"
        assert all(text[s:e] for s, e in decision.reason.spans)
