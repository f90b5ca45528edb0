"""Reading a story's discussion through GET /api/v1/comments."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from townhall.comments.models import Comment, Status
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db


def post(api, body, story="budget", **extra):
    status, data = api.post("/comments", {"site": "gazette", "story": story, "body": body, **extra})
    assert status == 201, data
    return data


def test_unknown_site_is_404(anon):
    status, data = anon.get("/comments", site="nowhere", story="x")
    assert status == 404
    assert data["error"]["code"] == "site_not_found"


def test_unknown_story_is_empty_and_not_created(anon, gazette):
    status, data = anon.get("/comments", site="gazette", story="not-yet")
    assert status == 200
    assert data["story"]["comment_count"] == 0
    assert data["comments"] == []
    assert data["next_cursor"] is None
    assert not Story.objects.filter(key="not-yet").exists()


def test_a_reply_comes_nested_under_its_comment(as_alice, as_bob, anon):
    first = post(as_alice, "The new bridge is long overdue.", story_title="Bridge vote")
    post(as_bob, "Agreed, but who pays for it?", parent_id=first["id"])
    _, data = anon.get("/comments", site="gazette", story="budget")
    assert data["story"]["comment_count"] == 2
    assert data["story"]["title"] == "Bridge vote"
    [top] = data["comments"]
    assert top["author"]["display_name"] == "Alice"
    assert top["body_html"] == "<p>The new bridge is long overdue.</p>"
    [reply] = top["replies"]
    assert reply["parent_id"] == first["id"]
    assert reply["author"]["display_name"] == "Bob"
    assert set(top) >= {
        "id",
        "parent_id",
        "author",
        "body_html",
        "created_at",
        "edited_at",
        "status",
        "reactions",
        "featured",
        "replies",
    }


def test_replies_stop_at_the_sites_depth(as_alice, as_bob, gazette):
    gazette.max_reply_depth = 2
    gazette.save()
    parent = post(as_alice, "level 0")
    for depth in (1, 2):
        parent = post(as_bob if depth % 2 else as_alice, f"level {depth}", parent_id=parent["id"])
    status, data = as_bob.post(
        "/comments",
        {"site": "gazette", "story": "budget", "body": "level 3", "parent_id": parent["id"]},
    )
    assert status == 422
    assert data["error"]["code"] == "too_deep"


def test_sort_orders(as_alice, as_bob, anon):
    a = post(as_alice, "first")
    b = post(as_bob, "second")
    c = post(as_alice, "third")
    as_bob.post(f"/comments/{a['id']}/react", {"kind": "like"})

    def ids(sort):
        _, data = anon.get("/comments", site="gazette", story="budget", sort=sort)
        return [x["id"] for x in data["comments"]]

    assert ids("newest") == [c["id"], b["id"], a["id"]]
    assert ids("oldest") == [a["id"], b["id"], c["id"]]
    assert ids("top")[0] == a["id"]


@pytest.mark.parametrize("sort", ["newest", "oldest", "top"])
def test_cursor_pages_cover_every_comment_once(as_alice, as_bob, anon, sort):
    posted = [post(as_alice if i % 2 else as_bob, f"comment {i}")["id"] for i in range(7)]
    seen, cursor = [], None
    for _ in range(10):
        query = {"site": "gazette", "story": "budget", "sort": sort, "limit": 3}
        if cursor:
            query["cursor"] = cursor
        status, data = anon.get("/comments", **query)
        assert status == 200
        assert len(data["comments"]) <= 3
        seen += [c["id"] for c in data["comments"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(posted)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"sort": "random"}, "invalid_sort"),
        ({"limit": 0}, "invalid_limit"),
        ({"limit": 201}, "invalid_limit"),
        ({"cursor": "made-up"}, "invalid_cursor"),
    ],
)
def test_bad_read_parameters_are_400(anon, gazette, query, code):
    status, data = anon.get("/comments", site="gazette", story="budget", **query)
    assert status == 400
    assert data["error"]["code"] == code


def test_a_cursor_from_another_sort_is_refused(as_alice, anon):
    for i in range(3):
        post(as_alice, f"c{i}")
    _, data = anon.get("/comments", site="gazette", story="budget", limit=1)
    status, err = anon.get(
        "/comments", site="gazette", story="budget", sort="top", cursor=data["next_cursor"]
    )
    assert status == 400


def test_own_pending_comment_is_shown_only_to_its_author(as_alice, as_bob, anon, gazette):
    gazette.premoderation = "all"
    gazette.save()
    held = post(as_alice, "I think the vote should wait a week.")
    assert held["status"] == "pending"
    _, mine = as_alice.get("/comments", site="gazette", story="budget")
    assert [c["id"] for c in mine["comments"]] == [held["id"]]
    assert mine["comments"][0]["status"] == "pending"
    assert mine["comments"][0]["reasons"][0]["attribute"] == "premoderation"
    for other in (as_bob, anon):
        _, data = other.get("/comments", site="gazette", story="budget")
        assert data["comments"] == []
        assert data["story"]["comment_count"] == 0


def test_a_deleted_comment_with_replies_stays_as_a_tombstone(as_alice, as_bob, anon):
    top = post(as_alice, "I was here first.")
    post(as_bob, "And I replied.", parent_id=top["id"])
    lonely = post(as_alice, "Nobody answered this.")
    assert as_alice.delete(f"/comments/{top['id']}")[0] == 204
    assert as_alice.delete(f"/comments/{lonely['id']}")[0] == 204
    _, data = anon.get("/comments", site="gazette", story="budget")
    [tomb] = data["comments"]
    assert tomb["status"] == "deleted"
    assert tomb["body_html"] == "" and tomb["author"] is None
    assert tomb["replies"][0]["author"]["display_name"] == "Bob"
    assert data["story"]["comment_count"] == 1


def test_permalink_returns_the_comments_whole_thread(as_alice, as_bob, anon):
    target = post(as_alice, "Thread one")
    reply = post(as_bob, "reply in thread one", parent_id=target["id"])
    for i in range(3):
        post(as_bob, f"other {i}")
    _, data = anon.get("/comments", site="gazette", story="budget", comment=reply["id"])
    assert [c["id"] for c in data["comments"]] == [target["id"]]
    assert data["comments"][0]["replies"][0]["id"] == reply["id"]


def test_muted_readers_disappear_for_the_muter_only(as_alice, as_bob, alice, bob, anon):
    post(as_bob, "Something Alice would rather not read.")
    assert as_alice.post("/me/mutes", {"site": "gazette", "user_id": bob.user_id})[0] == 201
    _, for_alice = as_alice.get("/comments", site="gazette", story="budget")
    _, for_anon = anon.get("/comments", site="gazette", story="budget")
    assert for_alice["comments"] == []
    assert len(for_anon["comments"]) == 1


def _thread_queries(api, story):
    with CaptureQueriesContext(connection) as ctx:
        status, _ = api.get("/comments", site="gazette", story=story)
    assert status == 200
    return len(ctx.captured_queries)


def _seed(story: Story, member, threads: int, replies: int) -> None:
    from townhall.lib.markdown import render

    for t in range(threads):
        top = Comment.objects.create(
            site=story.site, story=story, author=member, body=f"t{t}", body_html=render(f"t{t}")
        )
        top.root = top
        top.save()
        parent = top
        for r in range(replies):
            parent = Comment.objects.create(
                site=story.site,
                story=story,
                author=member,
                parent=parent if r < 2 else top,
                root=top,
                depth=min(r + 1, 3) if r < 2 else 1,
                body="r",
                body_html="<p>r</p>",
                status=Status.PUBLISHED,
            )


def test_a_thread_read_costs_the_same_queries_whatever_its_size(as_alice, alice, gazette):
    small = Story.objects.create(site=gazette, key="small")
    large = Story.objects.create(site=gazette, key="large")
    _seed(small, alice, threads=2, replies=1)
    _seed(large, alice, threads=40, replies=12)
    as_alice.get("/health")  # the token's first use of the day records itself once
    as_alice.get("/comments", site="gazette", story="small")
    n_small = _thread_queries(as_alice, "small")
    n_large = _thread_queries(as_alice, "large")
    # token, site, story, page of threads, their replies, likes, mutes, reports, appeals
    assert n_small == n_large == 9
