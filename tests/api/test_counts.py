"""The maintained comment count always equals the published comments it stands for."""

from __future__ import annotations

import random

import pytest
from django.test import override_settings

from townhall.comments.models import Comment, Status
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db


@override_settings(TOWNHALL_POST_RATE=1000)
def test_the_count_stays_exact_through_any_mix_of_changes(as_alice, as_bob, gazette):
    rng = random.Random(7)  # noqa: S311 - a fixed, reproducible mix
    apis = [as_alice, as_bob]
    live: list[tuple[int, int]] = []  # (comment id, index of its author)
    for step in range(60):
        action = rng.choice(["post", "post", "reply", "edit", "delete", "premod"])
        who = rng.randrange(2)
        if action == "premod":
            gazette.premoderation = rng.choice(["off", "all", "links"])
            gazette.save()
        elif action in ("post", "reply"):
            data = {"site": "gazette", "story": "s", "body": f"step {step} see https://x.example"}
            if action == "reply" and live:
                data["parent_id"] = rng.choice(live)[0]
            status, out = apis[who].post("/comments", data)
            if status == 201:
                live.append((out["id"], who))
        elif live:
            cid, author = rng.choice(live)
            if action == "edit":
                apis[author].patch(f"/comments/{cid}", {"body": f"edited at {step}"})
            else:
                apis[author].delete(f"/comments/{cid}")
                live.remove((cid, author))
    published = Comment.objects.filter(story__key="s", status=Status.PUBLISHED).count()
    assert Story.objects.get(key="s").comment_count == published
    assert Comment.objects.filter(status=Status.PENDING).exists()  # the mix did hold some
    assert Comment.objects.filter(status=Status.DELETED).exists()
