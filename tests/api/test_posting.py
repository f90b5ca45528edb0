"""Posting, editing, deleting, liking and reporting comments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from townhall.comments.models import Comment, CommentRevision
from townhall.reports.models import Report
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db


def body(text, **extra):
    return {"site": "gazette", "story": "budget", "body": text, **extra}


def count(key="budget"):
    return Story.objects.get(key=key).comment_count


def test_posting_creates_the_story_on_first_use(as_alice, gazette):
    status, data = as_alice.post(
        "/comments",
        body("First!", story_url="https://gazette.example/budget", story_title="Budget"),
    )
    assert status == 201
    assert data["status"] == "published" and data["reasons"] == []
    story = Story.objects.get(site=gazette, key="budget")
    assert (story.url, story.title, story.comment_count) == (
        "https://gazette.example/budget",
        "Budget",
        1,
    )


def test_anonymous_readers_must_sign_in_unless_the_site_allows_guests(anon, gazette):
    status, data = anon.post("/comments", body("hello"))
    assert status == 401 and data["error"]["code"] == "not_authenticated"
    assert not Comment.objects.exists()
    gazette.anonymous_posting = True
    gazette.save()
    status, data = anon.post("/comments", body("hello", author_name="Passer-by"))
    assert status == 201
    _, thread = anon.get("/comments", site="gazette", story="budget")
    assert thread["comments"][0]["author"]["display_name"] == "Passer-by"


def test_a_closed_story_refuses_comments(as_alice, gazette):
    Story.objects.create(site=gazette, key="budget", closed=True)
    status, data = as_alice.post("/comments", body("too late"))
    assert status == 403 and data["error"]["code"] == "story_closed"
    assert not Comment.objects.exists()


def test_stories_close_after_the_sites_number_of_days(as_alice, gazette):
    gazette.close_after_days = 7
    gazette.save()
    Story.objects.create(site=gazette, key="budget", created_at=timezone.now() - timedelta(days=8))
    status, data = as_alice.post("/comments", body("a week later"))
    assert status == 403 and data["error"]["code"] == "story_closed"
    _, thread = as_alice.get("/comments", site="gazette", story="budget")
    assert thread["story"]["closed"] is True


@pytest.mark.parametrize(
    ("status_value", "until", "code"),
    [("banned", None, "banned"), ("suspended", timedelta(hours=2), "suspended")],
)
def test_suspended_and_banned_members_cannot_post(as_alice, alice, status_value, until, code):
    alice.status = status_value
    alice.suspended_until = timezone.now() + until if until else None
    alice.save()
    status, data = as_alice.post("/comments", body("let me in"))
    assert status == 403 and data["error"]["code"] == code


def test_a_suspension_ends_by_itself(as_alice, alice):
    alice.status = "suspended"
    alice.suspended_until = timezone.now() - timedelta(minutes=1)
    alice.save()
    assert as_alice.post("/comments", body("back again"))[0] == 201


def test_a_ban_on_one_site_is_not_a_ban_on_another(as_alice, alice, herald):
    alice.status = "banned"
    alice.save()
    status, _ = as_alice.post("/comments", {"site": "herald", "story": "x", "body": "hi"})
    assert status == 201


def test_the_same_comment_twice_is_a_409(as_alice):
    assert as_alice.post("/comments", body("Same words"))[0] == 201
    status, data = as_alice.post("/comments", body("  same   WORDS "))
    assert status == 409 and data["error"]["code"] == "duplicate"
    assert Comment.objects.count() == 1


@override_settings(TOWNHALL_POST_RATE=3)
def test_posting_too_fast_is_a_429_with_retry_after(as_alice):
    for i in range(3):
        assert as_alice.post("/comments", body(f"comment {i}"))[0] == 201
    response = as_alice.client.post(
        "/api/v1/comments", body("one more"), content_type="application/json", **as_alice.headers
    )
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Comment.objects.count() == 3


def test_length_limits(as_alice, gazette):
    gazette.max_comment_length = 50
    gazette.save()
    status, data = as_alice.post("/comments", body("x" * 51))
    assert status == 413 and data["error"]["code"] == "too_long"
    status, data = as_alice.post("/comments", body("   "))
    assert status == 422
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ("{not json", 400),
        ({"site": "gazette", "story": "budget"}, 422),
        ({"site": "gazette", "story": "budget", "body": ["a list"]}, 422),
        ({"site": "gazette", "story": "budget", "body": "ok", "parent_id": "seven"}, 422),
    ],
)
def test_malformed_requests_get_json_errors_and_store_nothing(as_alice, payload, status):
    got, data = as_alice.post("/comments", payload)
    assert got == status
    assert set(data["error"]) >= {"code", "message"}
    assert not Comment.objects.exists()


def test_a_reply_to_another_story_or_unknown_comment_is_404(as_alice, as_bob):
    _, other = as_alice.post("/comments", body("elsewhere", story="other"))
    for parent in (other["id"], 999999):
        status, data = as_bob.post("/comments", body("reply", parent_id=parent))
        assert status == 404 and data["error"]["code"] == "parent_not_found"


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("*mild* and **strong**", "<p><em>mild</em> and <strong>strong</strong></p>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("# not a heading", "<p># not a heading</p>"),
        (
            "see https://example.org/a",
            '<p>see <a href="https://example.org/a" rel="nofollow ugc noopener">'
            "https://example.org/a</a></p>",
        ),
    ],
)
def test_bodies_are_a_safe_markdown_subset(as_alice, anon, text, html):
    status, data = as_alice.post("/comments", body(text))
    assert status == 201
    _, thread = anon.get("/comments", site="gazette", story="budget")
    assert thread["comments"][0]["body_html"] == html


def test_editing_keeps_the_old_text_and_marks_the_comment(as_alice, anon):
    _, c = as_alice.post("/comments", body("Teh council voted"))
    status, data = as_alice.patch(f"/comments/{c['id']}", {"body": "The council voted"})
    assert status == 200 and data["edited_at"]
    assert list(CommentRevision.objects.values_list("body", flat=True)) == ["Teh council voted"]
    _, thread = anon.get("/comments", site="gazette", story="budget")
    assert thread["comments"][0]["body_html"] == "<p>The council voted</p>"
    assert thread["comments"][0]["edited_at"] is not None


def test_edits_close_with_the_window(as_alice, gazette):
    _, c = as_alice.post("/comments", body("draft"))
    Comment.objects.filter(pk=c["id"]).update(created_at=timezone.now() - timedelta(minutes=16))
    status, data = as_alice.patch(f"/comments/{c['id']}", {"body": "changed"})
    assert status == 403 and data["error"]["code"] == "edit_window_closed"
    assert Comment.objects.get(pk=c["id"]).body == "draft"


def test_nobody_edits_or_deletes_anothers_comment(as_alice, as_bob):
    _, c = as_alice.post("/comments", body("mine"))
    assert as_bob.patch(f"/comments/{c['id']}", {"body": "yours now"})[0] == 403
    assert as_bob.delete(f"/comments/{c['id']}")[0] == 403
    assert Comment.objects.get(pk=c["id"]).body == "mine"


def test_deleting_lowers_the_count_once(as_alice):
    _, c = as_alice.post("/comments", body("going away"))
    assert count() == 1
    assert as_alice.delete(f"/comments/{c['id']}")[0] == 204
    assert as_alice.delete(f"/comments/{c['id']}")[0] == 404
    assert count() == 0


def test_a_like_toggles(as_alice, as_bob):
    _, c = as_alice.post("/comments", body("like me"))
    status, data = as_bob.post(f"/comments/{c['id']}/react", {"kind": "like"})
    assert (status, data) == (200, {"liked": True, "reactions": {"like": 1}})
    _, thread = as_bob.get("/comments", site="gazette", story="budget")
    assert thread["comments"][0]["liked"] is True
    _, data = as_bob.post(f"/comments/{c['id']}/react", {"kind": "like"})
    assert data == {"liked": False, "reactions": {"like": 0}}
    assert as_bob.post(f"/comments/{c['id']}/react", {"kind": "love"})[0] == 422


def test_a_report_is_stored_once_with_its_guideline(as_alice, as_bob, bob):
    _, c = as_alice.post("/comments", body("report me"))
    status, data = as_bob.post(
        f"/comments/{c['id']}/report", {"reason": "degrading", "note": "rude"}
    )
    assert status == 201 and data["guideline"] == "nice"
    report = Report.objects.get()
    assert (report.reporter_id, report.reason, report.note) == (bob.user_id, "degrading", "rude")
    assert as_bob.post(f"/comments/{c['id']}/report", {"reason": "spam"})[0] == 409
    assert as_bob.post(f"/comments/{c['id']}/report", {"reason": "boring"})[0] == 422
    assert as_alice.post(f"/comments/{c['id']}/report", {"reason": "spam"})[0] == 422
    assert Report.objects.count() == 1


def test_counts_for_many_stories_in_one_request(as_alice, anon):
    as_alice.post("/comments", body("a", story="one"))
    as_alice.post("/comments", body("b", story="one"))
    as_alice.post("/comments", body("c", story="two"))
    status, data = anon.get("/counts", site="gazette", story=["one", "two", "three"])
    assert status == 200
    assert data == {"counts": {"one": 2, "two": 1, "three": 0}}
