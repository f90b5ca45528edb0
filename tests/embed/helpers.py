"""What the embed tests share: the story they read and a way to post to it."""

from __future__ import annotations

from townhall.comments.services import NewComment, post_comment

STORY = "budget-vote"


def frame_url(**extra: str) -> str:
    params = {"site": "courier", "story": STORY, "url": "https://news.example/budget", **extra}
    return "/embed/?" + "&".join(f"{k}={v}" for k, v in params.items())


def say(site, user, body, parent=None):
    return post_comment(
        NewComment(site=site, story_key=STORY, body=body, user=user, parent_id=parent)
    )
