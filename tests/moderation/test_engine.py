"""Decisions and reasons of the engine with the shipped model."""

from __future__ import annotations

import dataclasses
import json

import pytest

from townhall.moderation import ATTRIBUTES, Context, LinksPolicy, Policy, Verdict
from townhall.moderation.engine import reputation_shift, thresholds_for

CLEAN = "Thanks for the reporting on the council budget, the figures were really clear."


def test_a_clean_comment_is_published_with_all_scores(engine) -> None:
    verdict = engine.judge(CLEAN)
    assert verdict.decision == "published"
    assert set(verdict.scores) == set(ATTRIBUTES)
    assert all(0.0 <= v <= 1.0 for v in verdict.scores.values())
    assert verdict.reasons == ()
    assert verdict.spans == ()


@pytest.mark.parametrize(
    ("text", "guideline", "attribute"),
    [
        ("You are a fucking idiot and a piece of shit.", "nice", "insult"),
        ("Go fuck yourself, you stupid cunt.", "clean", "obscene"),
        ("I will find you and kill you, I know where you live.", "no_threats", "threat"),
        (
            "Check out my channel and subscribe!!! Free iPhone at http://win-free.xyz",
            "spam",
            "spam",
        ),
    ],
)
def test_abuse_is_not_published_and_names_its_guideline(
    engine, text: str, guideline: str, attribute: str
) -> None:
    verdict = engine.judge(text)
    assert verdict.decision in ("pending", "rejected")
    assert (guideline, attribute) in {(r.guideline, r.attribute) for r in verdict.reasons}


def test_disguised_abuse_scores_like_plain_abuse(engine) -> None:
    plain = engine.judge("you are a fucking idiot").scores["toxicity"]
    disguised = engine.judge("you are a f.u.c.k.i.n.g 1d10t").scores["toxicity"]
    assert disguised > 0.8
    assert abs(plain - disguised) < 0.1


def test_reporting_on_a_threat_is_not_a_threat(engine) -> None:
    verdict = engine.judge("Putin threatened to cut off the gas to Europe this winter.")
    assert verdict.decision == "published"
    assert verdict.scores["threat"] < Policy().hold_threshold("threat")


@pytest.mark.parametrize(
    "text",
    [
        "I am a gay Muslim woman.",
        "As a Black veteran, I think the article is right about pensions.",
        "My neighbour is Jewish and runs the corner shop.",
        "The Scunthorpe and Penistone councils met in Sussex.",
        "Dick Cheney was interviewed by Matt Hancock.",
        "The assassin drank a classic cocktail before seeing his therapist.",
    ],
)
def test_innocent_mentions_are_published(engine, text: str) -> None:
    verdict = engine.judge(text)
    assert verdict.decision == "published", verdict.scores


def test_spans_point_at_the_offensive_words_in_the_original(engine) -> None:
    text = "Ｗｅｌｌ, you are an 1d10t and a f**king moron."
    verdict = engine.judge(text)
    marked = [text[s:e] for s, e in verdict.spans]
    assert any("1d10t" in m for m in marked)
    assert any("moron" in m for m in marked)
    assert not any("Well" in m or "Ｗｅｌｌ" in m for m in marked)


def test_banned_word_rejects_and_suspect_word_holds(engine) -> None:
    policy = Policy(banned_words=("lizardman",), suspect_words=("vaccine",))
    banned = engine.judge(f"{CLEAN} The mayor is a l1zardm@n.", policy)
    assert banned.decision == "rejected"
    reason = next(r for r in banned.reasons if r.attribute == "banned_word")
    assert reason.guideline == "clean"
    text = f"{CLEAN} The vaccine works."
    suspect = engine.judge(text, policy)
    assert suspect.decision == "pending"
    reason = next(r for r in suspect.reasons if r.attribute == "suspect_word")
    assert [text[s:e] for s, e in reason.spans] == ["vaccine"]


def test_thresholds_decide_between_hold_and_reject(engine) -> None:
    text = "You are a fucking idiot."
    score = engine.judge(text).scores["insult"]
    hold_only = Policy(hold={"insult": score - 0.01}, reject=dict.fromkeys(ATTRIBUTES, 1.1))
    assert engine.judge(text, hold_only).decision == "pending"
    reject = Policy(reject={**dict.fromkeys(ATTRIBUTES, 1.1), "insult": score - 0.01})
    assert engine.judge(text, reject).decision == "rejected"
    off = Policy(hold=dict.fromkeys(ATTRIBUTES, 1.1), reject=dict.fromkeys(ATTRIBUTES, 1.1))
    assert engine.judge(text, off).decision == "published"


@pytest.mark.parametrize(
    ("mode", "context", "text", "decision"),
    [
        ("off", Context(is_new=True), CLEAN, "published"),
        ("all", Context(approved_count=500), CLEAN, "pending"),
        ("new_users", Context(is_new=True), CLEAN, "pending"),
        ("new_users", Context(approved_count=3, account_age_days=40), CLEAN, "published"),
        ("links", Context(), CLEAN, "published"),
        ("links", Context(), f"{CLEAN} More at https://example.org/budget", "pending"),
    ],
)
def test_premoderation_modes(engine, mode: str, context: Context, text: str, decision: str) -> None:
    verdict = engine.judge(text, Policy(premoderation=mode), context)
    assert verdict.decision == decision
    if decision == "pending":
        assert verdict.reasons[0].attribute == "premoderation"


def test_links_policy_holds_link_heavy_comments(engine) -> None:
    text = f"{CLEAN} a.com b.com c.com"
    assert engine.judge(text, Policy(links=LinksPolicy(max_links=2))).decision == "pending"
    reason = engine.judge(text, Policy(links=LinksPolicy(max_links=2))).reasons[0]
    assert (reason.guideline, reason.attribute, reason.score) == ("spam", "links", 3.0)


def test_reputation_moves_thresholds_a_little() -> None:
    policy = Policy()
    trusted = Context(approved_count=200, rejected_count=1, account_age_days=900)
    newcomer = Context(is_new=True)
    regular = Context(approved_count=3, account_age_days=30)
    assert reputation_shift(trusted) > 0 > reputation_shift(newcomer)
    assert reputation_shift(regular) == 0
    base = thresholds_for(policy, regular).hold["insult"]
    assert thresholds_for(policy, trusted).hold["insult"] == pytest.approx(base + 0.05)
    assert thresholds_for(policy, newcomer).hold["insult"] == pytest.approx(base - 0.05)
    assert thresholds_for(Policy(reputation=False), newcomer).hold["insult"] == base


def test_reputation_can_tip_a_borderline_comment(engine) -> None:
    text = "That is a rather stupid argument."
    score = engine.judge(text).scores["insult"]
    assert 0.05 < score < 0.9
    policy = Policy(
        hold={**dict.fromkeys(ATTRIBUTES, 1.1), "insult": score - 0.02},
        reject=dict.fromkeys(ATTRIBUTES, 1.1),
    )
    regular = Context(approved_count=3, account_age_days=30)
    trusted = Context(approved_count=200, account_age_days=900)
    assert engine.judge(text, policy, regular).decision == "pending"
    assert engine.judge(text, policy, trusted).decision == "published"


def test_verdict_is_frozen_and_serialises_to_the_contract(engine) -> None:
    verdict = engine.judge("You are a fucking idiot.")
    assert isinstance(verdict, Verdict)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.decision = "published"  # type: ignore[misc]
    data = json.loads(json.dumps(verdict.to_dict()))
    assert set(data) == {"decision", "scores", "reasons", "spans"}
    assert set(data["scores"]) == set(ATTRIBUTES)
    for reason in data["reasons"]:
        assert set(reason) == {"guideline", "attribute", "score", "spans"}
        assert reason["guideline"] in {
            "clean",
            "no_threats",
            "truthful",
            "nice",
            "proactive",
            "share",
            "spam",
        }
    assert all(len(span) == 2 and span[0] < span[1] for span in data["spans"])


def test_judge_many_matches_judge(engine) -> None:
    texts = [CLEAN, "You are a fucking idiot.", "", "🙂"]
    many = engine.judge_many(texts)
    assert [v.to_dict() for v in many] == [engine.judge(t).to_dict() for t in texts]


def test_policy_rejects_unknown_settings() -> None:
    with pytest.raises(ValueError, match="premoderation"):
        Policy(premoderation="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="attribute"):
        Policy(hold={"rudeness": 0.5})
    for bad in (float("inf"), float("nan"), -0.1):
        with pytest.raises(ValueError, match="finite"):
            Policy(reject={"threat": bad})
