"""The newsroom's calls: stories, settings, claims, audit, tips and appeals."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory
from townhall.accounts.models import Role
from townhall.comments.models import Comment
from townhall.review.models import AuditEntry, DebunkedClaim, Tip
from townhall.review.services import revert_last
from townhall.sites.models import Site, Story

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_mallory(mallory, api_for):
    return api_for(mallory)


@pytest.fixture
def herald_mod(herald, api_for):
    return api_for(MembershipFactory(site=herald, display_name="Hank", role=Role.MODERATOR))


# Every newsroom endpoint, with a valid body for the gazette: each must refuse
# anonymous callers (401), commenters and moderators of another site (403).
ENDPOINTS = [
    ("get", "/moderation/queue", {"site": "gazette"}),
    ("post", "/moderation/stories", {"site": "gazette", "story": "s", "closed": True}),
    ("get", "/moderation/settings", {"site": "gazette"}),
    ("patch", "/moderation/settings?site=gazette", {"premoderation": "all"}),
    ("post", "/moderation/settings/preview", {"site": "gazette", "hold": {}, "reject": {}}),
    ("get", "/moderation/claims", {"site": "gazette"}),
    (
        "post",
        "/moderation/claims",
        {"site": "gazette", "claim": "The bridge was sold to a foreign buyer"},
    ),
    ("get", "/moderation/audit", {"site": "gazette"}),
    ("get", "/moderation/tips", {"site": "gazette"}),
    ("get", "/moderation/appeals", {"site": "gazette"}),
]


@pytest.mark.parametrize(
    ("method", "path", "data"), ENDPOINTS, ids=[e[1] + ":" + e[0] for e in ENDPOINTS]
)
def test_newsroom_endpoints_refuse_everyone_but_the_sites_moderators(
    gazette, anon, as_alice, herald_mod, as_mallory, method, path, data
):
    def call(api):
        return api.get(path, **data) if method == "get" else getattr(api, method)(path, data)

    assert call(anon)[0] == 401
    assert call(as_alice)[0] == 403
    assert call(herald_mod)[0] == 403
    assert not DebunkedClaim.objects.exists() and not Story.objects.filter(closed=True).exists()
    assert Site.objects.get(slug="gazette").premoderation == "off"
    status, _ = call(as_mallory)
    assert status in (200, 201)


def test_closing_and_reopening_a_story(as_mallory, as_alice):
    as_mallory.post("/moderation/stories", {"site": "gazette", "story": "s", "closed": True})
    status, data = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "late"})
    assert (status, data["error"]["code"]) == (403, "story_closed")
    as_mallory.post("/moderation/stories", {"site": "gazette", "story": "s", "closed": False})
    assert as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "late"})[0] == 201
    assert list(
        AuditEntry.objects.filter(action__startswith="story.").values_list("action", flat=True)
    ) == [
        "story.closed",
        "story.reopened",
    ]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"premoderation": "sometimes"}, "premoderation"),
        ({"max_reply_depth": 99}, "max_reply_depth"),
        ({"hold_thresholds": {"toxicity": -0.5}}, "between 0 and 1"),
        ({"hold_thresholds": {"toxicity": "high"}}, "must be a number"),
        ({"hold_thresholds": {"rudeness": 0.5}}, "unknown attribute"),
        ({"slug": "other"}, "Unknown settings"),
        ({"min_comment_length": 500, "max_comment_length": 100}, "above"),
        ({"allowed_origins": ["ftp://x"]}, "origin"),
        ({"anonymous_posting": "yes"}, "true or false"),
    ],
)
def test_bad_settings_are_422_and_change_nothing(as_mallory, gazette, change, fragment):
    status, data = as_mallory.patch("/moderation/settings?site=gazette", change)
    assert status == 422 and fragment in data["error"]["message"]
    gazette.refresh_from_db()
    assert gazette.premoderation == "off" and gazette.max_reply_depth == 3


def test_settings_change_and_are_audited(as_mallory, gazette):
    status, data = as_mallory.patch(
        "/moderation/settings?site=gazette",
        {
            "premoderation": "links",
            "banned_words": "Grotbag, SLIMEBALL\nslimeball",
            "hold_thresholds": {"threat": 0.4},
            "close_after_days": 14,
        },
    )
    assert status == 200
    assert data["banned_words"] == ["grotbag", "slimeball"]
    gazette.refresh_from_db()
    assert (gazette.premoderation, gazette.hold_thresholds, gazette.close_after_days) == (
        "links",
        {"threat": 0.4},
        14,
    )
    entry = AuditEntry.objects.get(action="site.settings_changed")
    assert entry.data["after"]["premoderation"] == "links"


def test_a_threshold_can_be_switched_off(as_mallory, gazette):
    status, data = as_mallory.patch(
        "/moderation/settings?site=gazette", {"reject_thresholds": {"spam": None, "threat": 2}}
    )
    assert status == 200
    assert data["reject_thresholds"] == {"spam": 1.01, "threat": 1.01}


def test_threshold_preview_replays_stored_scores(as_mallory, as_alice, gazette):
    for i, toxicity in enumerate([0.1, 0.5, 0.85, 0.99]):
        _, c = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": f"number {i}"})
        Comment.objects.filter(pk=c["id"]).update(scores={"toxicity": toxicity})
    _, strict = as_mallory.post(
        "/moderation/settings/preview",
        {"site": "gazette", "hold": {"toxicity": 0.4}, "reject": {"toxicity": 0.9}},
    )
    assert (strict["total"], strict["held"], strict["rejected"], strict["published"]) == (
        4,
        2,
        1,
        1,
    )
    _, lenient = as_mallory.post(
        "/moderation/settings/preview",
        {"site": "gazette", "hold": {"toxicity": 0.95}, "reject": {"toxicity": 1.0}},
    )
    assert (lenient["held"], lenient["rejected"]) == (1, 0)


def test_claims_are_listed_added_and_switched_off(as_mallory):
    status, claim = as_mallory.post(
        "/moderation/claims",
        {
            "site": "gazette",
            "claim": "The new bridge was paid for by a foreign government",
            "correction": "The council paid for it from its own budget.",
            "link": "https://gazette.example/fact-check/bridge",
        },
    )
    assert status == 201 and claim["active"]
    assert as_mallory.post("/moderation/claims", {"site": "gazette", "claim": "short"})[0] == 422
    as_mallory.post(f"/moderation/claims/{claim['id']}", {"active": False})
    _, listed = as_mallory.get("/moderation/claims", site="gazette")
    assert [c["active"] for c in listed["claims"]] == [False]


def test_the_audit_log_pages_newest_first(as_mallory, as_alice):
    for i in range(5):
        as_alice.post("/comments", {"site": "gazette", "story": "s", "body": f"entry {i}"})
    _, first = as_mallory.get("/moderation/audit", site="gazette", limit=3)
    _, second = as_mallory.get(
        "/moderation/audit", site="gazette", limit=3, before=first["next_before"]
    )
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5
    assert {e["action"] for e in first["entries"]} == {"comment.published"}
    assert first["entries"][0]["actor_kind"] == "engine"
    assert "scores" in first["entries"][0]["data"]


def test_tips_reach_the_inbox_and_move_through_states(as_alice, anon, as_mallory, gazette):
    status, _ = as_alice.post(
        "/tips",
        {
            "site": "gazette",
            "story": "fire",
            "body": "I saw the fire start at 3am.",
            "contact": "07700 900123",
        },
    )
    assert status == 201
    assert anon.post("/tips", {"site": "gazette", "body": "??"})[0] == 422
    _, c = as_alice.post("/comments", {"site": "gazette", "story": "fire", "body": "I was there"})
    assert as_alice.post("/tips", {"site": "gazette", "comment_id": c["id"]})[0] == 201
    assert as_alice.post("/tips", {"site": "gazette", "comment_id": c["id"]})[0] == 409
    _, inbox = as_mallory.get("/moderation/tips", site="gazette", state="new")
    assert {t["story"] for t in inbox["tips"]} == {"fire"} and len(inbox["tips"]) == 2
    tip = inbox["tips"][0]["id"]
    assert (
        as_mallory.post(f"/moderation/tips/{tip}", {"state": "followed_up", "note": "called"})[0]
        == 200
    )
    assert Tip.objects.get(pk=tip).state == "followed_up"


def test_a_tip_cannot_mark_someone_elses_comment(as_alice, as_bob):
    _, c = as_alice.post("/comments", {"site": "gazette", "story": "fire", "body": "mine"})
    assert as_bob.post("/tips", {"site": "gazette", "comment_id": c["id"]})[0] == 403


def test_an_appeal_is_filed_once_and_its_answer_reaches_the_author(
    as_alice, as_bob, as_mallory, gazette
):
    _, c = as_alice.post(
        "/comments", {"site": "gazette", "story": "s", "body": "fair point, really"}
    )
    as_mallory.post(f"/moderation/comments/{c['id']}", {"action": "reject", "guideline": "nice"})
    assert as_bob.post(f"/comments/{c['id']}/appeal", {"note": "not mine but unfair"})[0] == 403
    status, appeal = as_alice.post(
        f"/comments/{c['id']}/appeal", {"note": "I was quoting the mayor."}
    )
    assert status == 201
    assert as_alice.post(f"/comments/{c['id']}/appeal", {"note": "again please"})[0] == 409
    _, queue = as_mallory.get("/moderation/appeals", site="gazette")
    assert [a["id"] for a in queue["appeals"]] == [appeal["id"]]
    status, _ = as_mallory.post(
        f"/moderation/appeals/{appeal['id']}", {"grant": True, "answer": "Fair: it was a quote."}
    )
    assert status == 200
    _, thread = as_alice.get("/comments", site="gazette", story="s")
    assert thread["comments"][0]["status"] == "published"
    assert (
        as_mallory.post(f"/moderation/appeals/{appeal['id']}", {"grant": False, "answer": "no"})[0]
        == 409
    )


def test_a_denied_appeal_shows_its_answer(as_alice, as_mallory):
    _, c = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "another try"})
    as_mallory.post(f"/moderation/comments/{c['id']}", {"action": "reject", "guideline": "clean"})
    _, a = as_alice.post(f"/comments/{c['id']}/appeal", {"note": "please look again"})
    as_mallory.post(
        f"/moderation/appeals/{a['id']}", {"grant": False, "answer": "The word stays out."}
    )
    _, thread = as_alice.get("/comments", site="gazette", story="s")
    assert thread["comments"][0]["appeal"] == {"state": "denied", "answer": "The word stays out."}


def test_a_published_comment_cannot_be_appealed(as_alice):
    _, c = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "all fine"})
    assert as_alice.post(f"/comments/{c['id']}/appeal", {"note": "why not"})[0] == 409


def test_undo_restores_the_previous_state(as_alice, as_mallory, mallory, gazette, anon):
    _, c = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "keep me"})
    as_mallory.post(f"/moderation/comments/{c['id']}", {"action": "reject", "guideline": "nice"})
    assert anon.get("/comments", site="gazette", story="s")[1]["story"]["comment_count"] == 0
    restored = revert_last(mallory.user, gazette)
    assert restored.pk == c["id"] and restored.status == "published"
    assert anon.get("/comments", site="gazette", story="s")[1]["story"]["comment_count"] == 1
    assert revert_last(mallory.user, gazette) is None
    assert AuditEntry.objects.filter(action="comment.reverted").count() == 1


def test_reporters_see_the_outcome_of_their_report(as_alice, as_bob, as_mallory):
    _, c = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "is this ok"})
    as_bob.post(f"/comments/{c['id']}/report", {"reason": "spam"})
    _, thread = as_bob.get("/comments", site="gazette", story="s")
    assert thread["comments"][0]["my_report"] == {"reason": "spam", "outcome": "open"}
    as_mallory.post(f"/moderation/comments/{c['id']}", {"action": "approve"})
    _, thread = as_bob.get("/comments", site="gazette", story="s")
    assert thread["comments"][0]["my_report"]["outcome"] == "dismissed"
