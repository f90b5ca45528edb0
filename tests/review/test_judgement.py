"""The moderation engine on the posting path: judgements are stored with their reasons."""

from __future__ import annotations

import socket

import pytest

from townhall.comments.models import Comment
from townhall.review.models import AuditEntry, DebunkedClaim
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def default_policy(gazette):
    gazette.hold_thresholds = {}
    gazette.reject_thresholds = {}
    gazette.save()


CIVIL = [
    "The council should publish the full cost of the bridge before the vote.",
    "My grandmother ran the bakery on that corner for thirty years.",
    "I disagree with the editorial: the bus lanes have made my commute shorter.",
    "Does anyone know whether the library will keep its Sunday hours?",
    "Putin threatened to cut off the gas, and prices here went up within a week.",
    "As a Black veteran, I was glad to see the memorial finally restored.",
    "I am a gay Muslim woman and I have lived in this town all my life.",
    "Thank you for covering the school board meeting in such detail.",
]


def post(api, body, story="s"):
    return api.post("/comments", {"site": "gazette", "story": story, "body": body})


@pytest.mark.parametrize("text", CIVIL)
def test_civil_comments_are_published(as_alice, text):
    status, data = post(as_alice, text)
    assert (status, data["status"], data["reasons"]) == (201, "published", [])


def test_an_insult_is_stored_but_not_shown_and_its_author_learns_why(as_alice, as_bob, anon):
    status, data = post(as_bob, "You are a pathetic moron and everyone here knows it.")
    assert status == 201 and data["status"] in ("pending", "rejected")
    guidelines = {r["guideline"] for r in data["reasons"]}
    assert "nice" in guidelines
    [reason] = [r for r in data["reasons"] if r["attribute"] == "insult"]
    assert reason["score"] >= 0.5 and reason["spans"]
    start, end = reason["spans"][0]
    assert "moron" in "You are a pathetic moron and everyone here knows it."[start : end + 10]
    stored = Comment.objects.get(pk=data["id"])
    assert stored.scores["insult"] == pytest.approx(reason["score"], abs=1e-3)
    _, public = anon.get("/comments", site="gazette", story="s")
    assert public["comments"] == []
    _, mine = as_bob.get("/comments", site="gazette", story="s")
    assert mine["comments"][0]["reasons"][0]["guideline"] in guidelines
    entry = AuditEntry.objects.get(comment_id=data["id"])
    assert entry.actor_kind == "engine" and entry.data["scores"]["insult"] > 0.5


def test_banned_words_reject_even_when_disguised(as_alice, gazette):
    gazette.banned_words = ["grotbag"]
    gazette.save()
    for text in ["What a grotbag.", "What a g.r.o.t.b.a.g", "What a GR0TBAG!"]:
        status, data = post(as_alice, text, story=text)
        assert data["status"] == "rejected", text
        assert data["reasons"][0]["guideline"] == "clean"
    status, data = post(as_alice, "Grottoes and bags of flour, nothing more.", story="fine")
    assert data["status"] == "published"


def test_suspect_words_hold(as_alice, gazette):
    gazette.suspect_words = ["casino"]
    gazette.save()
    status, data = post(as_alice, "The old casino site would make a good park.")
    assert data["status"] == "pending"


def test_a_debunked_claim_is_held_under_be_truthful(as_alice, gazette):
    DebunkedClaim.objects.create(
        site=gazette,
        claim="The new bridge was paid for by a foreign government",
        correction="The council paid for it from its capital budget.",
        link="https://gazette.example/checks/bridge",
    )
    status, data = post(
        as_alice, "Everyone knows the new bridge was paid for by a foreign government."
    )
    assert data["status"] == "pending"
    [reason] = data["reasons"]
    assert (reason["guideline"], reason["attribute"]) == ("truthful", "claim")
    assert reason["correction"].startswith("The council paid")


def test_sites_may_publish_claims_with_the_correction_attached(as_alice, gazette, anon):
    gazette.claims_action = "annotate"
    gazette.save()
    DebunkedClaim.objects.create(
        site=gazette,
        claim="The new bridge was paid for by a foreign government",
        correction="The council paid for it from its capital budget.",
    )
    status, data = post(
        as_alice, "I read that the new bridge was paid for by a foreign government."
    )
    assert data["status"] == "published"
    _, thread = anon.get("/comments", site="gazette", story="s")
    assert thread["comments"][0]["correction"]["text"].startswith("The council paid")


def test_editing_a_comment_into_an_insult_takes_it_down(as_alice, anon):
    _, c = post(as_alice, "The mayor made a fair point tonight.")
    assert Story.objects.get(key="s").comment_count == 1
    _, edited = as_alice.patch(f"/comments/{c['id']}", {"body": "The mayor is a pathetic moron."})
    assert edited["status"] in ("pending", "rejected")
    assert Story.objects.get(key="s").comment_count == 0


def test_the_check_call_judges_without_saving(anon, as_alice, gazette):
    status, data = as_alice.post(
        "/moderation/check", {"site": "gazette", "body": "You are a pathetic moron."}
    )
    assert status == 200 and data["decision"] in ("pending", "rejected")
    assert "nice" in {r["guideline"] for r in data["reasons"]}
    assert set(data["scores"]) == {
        "toxicity",
        "obscene",
        "sexual",
        "threat",
        "insult",
        "identity_attack",
        "spam",
    }
    _, ok = anon.post("/moderation/check", {"site": "gazette", "body": CIVIL[0]})
    assert ok["decision"] == "published"
    assert not Comment.objects.exists() and not AuditEntry.objects.exists()


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("failure", "expected"), [("hold", "pending"), ("publish", "published")])
def test_an_unreachable_external_scorer_follows_the_sites_failure_policy(
    as_alice, gazette, failure, expected
):
    gazette.scorer_url = f"http://127.0.0.1:{_dead_port()}/score"
    gazette.scorer_secret = "shared"
    gazette.scorer_timeout = 0.5
    gazette.scorer_failure = failure
    gazette.save()
    status, data = post(as_alice, CIVIL[1])
    assert data["status"] == expected


def test_townhall_moderate_uses_a_sites_policy(gazette, monkeypatch, capsys):
    import io
    import json

    from django.core.management import call_command

    gazette.banned_words = ["grotbag"]
    gazette.save()
    lines = '{"id": 1, "text": "What a grotbag."}\n{"id": 2, "text": "What a lovely day."}\n'
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    call_command("moderate", site="gazette")
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == [1, 2]
    assert out[0]["decision"] == "rejected" and out[0]["reasons"][0]["attribute"] == "banned_word"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    call_command("moderate")
    default = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["attribute"] != "banned_word" for r in default[0]["reasons"])
