"""New accounts post at most so many comments an hour, and can be made to post slower
and have their links wait for a moderator, until trusted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MembershipFactory
from townhall.accounts.models import Role
from townhall.comments.models import Comment

pytestmark = pytest.mark.django_db

LINK = "Details at https://council.example/minutes"


@pytest.fixture
def newt(gazette):
    """Signed up a few minutes ago."""
    return MembershipFactory(
        site=gazette,
        display_name="Newt",
        user__email="newt@example.org",
        user__date_joined=timezone.now() - timedelta(minutes=5),
    )


def post(api, body: str, story: str = "budget"):
    return api.post("/comments", {"site": "gazette", "story": story, "body": body})


def test_by_default_a_new_accounts_link_follows_the_sites_link_policy(newt, api_for):
    assert post(api_for(newt), LINK)[1]["status"] == "published"


def test_a_new_accounts_link_waits_for_a_moderator_and_says_why(
    newt, alice, api_for, as_alice, settings
):
    settings.TOWNHALL_NEW_ACCOUNT_HOLD_LINKS = True
    status, data = post(api_for(newt), LINK)
    assert status == 201 and data["status"] == "pending"
    assert [(r["guideline"], r["attribute"]) for r in data["reasons"]] == [
        ("spam", "new_account_links")
    ]
    [span] = data["reasons"][0]["spans"]
    assert LINK[span[0] : span[1]].startswith("https://council.example")
    # A reader of ninety days posts the same link straight away.
    assert post(as_alice, LINK)[1]["status"] == "published"
    # Without a link the newcomer is published.
    assert post(api_for(newt), "Plain words, no link.")[1]["status"] == "published"


def test_a_new_account_posts_at_the_lower_rate(newt, alice, api_for, as_alice, settings):
    settings.TOWNHALL_NEW_ACCOUNT_POST_RATE = 3
    settings.TOWNHALL_NEW_ACCOUNT_COMMENTS = 10  # so these posts do not earn trust
    api = api_for(newt)
    got = [post(api, f"Thought number {n}", story=f"s{n}")[0] for n in range(4)]
    assert got == [201, 201, 201, 429]
    status, data = post(api, "One more")
    assert data["error"]["code"] == "rate_limited"
    assert [post(as_alice, f"Point {n}", story=f"s{n}")[0] for n in range(4)] == [201] * 4


def test_published_comments_earn_trust_before_the_hours_pass(newt, api_for, settings):
    settings.TOWNHALL_NEW_ACCOUNT_HOLD_LINKS = True
    settings.TOWNHALL_NEW_ACCOUNT_COMMENTS = 2
    api = api_for(newt)
    assert post(api, "First", story="a")[1]["status"] == "published"
    assert post(api, LINK, story="b")[1]["status"] == "pending"
    assert post(api, "Second", story="c")[1]["status"] == "published"
    assert post(api, LINK + " (again)", story="d")[1]["status"] == "published"


def test_time_earns_trust_too(newt, api_for, settings):
    settings.TOWNHALL_NEW_ACCOUNT_HOLD_LINKS = True
    newt.user.date_joined = timezone.now() - timedelta(hours=25)
    newt.user.save()
    assert post(api_for(newt), LINK)[1]["status"] == "published"
    settings.TOWNHALL_NEW_ACCOUNT_HOURS = 48
    assert post(api_for(newt), LINK + " (again)", story="other")[1]["status"] == "pending"


def test_a_new_moderator_is_not_held(newt, api_for, settings):
    settings.TOWNHALL_NEW_ACCOUNT_HOLD_LINKS = True
    newt.role = Role.MODERATOR
    newt.save()
    assert post(api_for(newt), LINK)[1]["status"] == "published"
    assert Comment.objects.get().status == "published"


@pytest.fixture
def held_back(gazette, settings):
    """Every comment waits for a moderator, so posting alone earns no trust; the
    per-minute rate is out of the way so the hourly cap is what a poster meets."""
    gazette.premoderation = "all"
    gazette.save()
    settings.TOWNHALL_NEW_ACCOUNT_POST_RATE = 1000
    return settings.TOWNHALL_NEW_ACCOUNT_POSTS_PER_HOUR


def fill_the_hour(api, cap: int) -> list[int]:
    """Post ``cap`` comments and one more; return the ids of those that were taken."""
    got = [post(api, f"Thought number {n}", story=f"s{n}") for n in range(cap + 1)]
    assert [status for status, _ in got] == [201] * cap + [429]
    assert {data["status"] for _, data in got[:cap]} == {"pending"}
    return [data["id"] for _, data in got[:cap]]


def test_by_default_a_new_account_meets_an_hourly_cap_with_retry_after(
    newt, alice, api_for, as_alice, held_back
):
    api = api_for(newt)
    fill_the_hour(api, held_back)
    response = api.client.post(
        "/api/v1/comments",
        json.dumps({"site": "gazette", "story": "later", "body": "Still here"}),
        content_type="application/json",
        **api.headers,
    )
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 3600
    error = response.json()["error"]
    assert error["code"] == "new_account_limit"
    assert f"{held_back} comments an hour" in error["message"]
    assert Comment.objects.filter(author=newt).count() == held_back
    # A reader of ninety days is not capped.
    assert [post(as_alice, f"Point {n}", story=f"s{n}")[0] for n in range(held_back + 1)] == [
        201
    ] * (held_back + 1)


def test_the_cap_lifts_once_moderators_publish_enough_of_the_new_accounts_comments(
    newt, mallory, api_for, held_back, settings
):
    api = api_for(newt)
    ids = fill_the_hour(api, held_back)
    moderator = api_for(mallory)
    needed = settings.TOWNHALL_NEW_ACCOUNT_COMMENTS
    for comment_id in ids[: needed - 1]:
        assert moderator.post(f"/moderation/comments/{comment_id}", {"action": "approve"})[0] == 200
    assert post(api, "Not yet", story="later")[0] == 429  # one published comment short
    moderator.post(f"/moderation/comments/{ids[needed - 1]}", {"action": "approve"})
    assert post(api, "Trusted now", story="later")[0] == 201


def test_the_cap_lifts_once_the_account_is_old_enough(newt, api_for, held_back):
    api = api_for(newt)
    fill_the_hour(api, held_back)
    newt.user.date_joined = timezone.now() - timedelta(hours=25)
    newt.user.save()
    assert post(api, "A day later", story="later")[0] == 201
