"""Reading a story's discussion: a page of top-level comments with their replies.

A read costs a fixed handful of queries whatever the thread's size: the story, the
page of top-level comments, every reply of that page, and (for a signed-in reader)
their likes, mutes, reports and, when they have comments on the page, appeals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from townhall.accounts.models import Mute, User
from townhall.api.errors import ApiError
from townhall.comments.models import Comment, Reaction, Status
from townhall.lib import cursor as cursor_codec
from townhall.reports.models import Report
from townhall.review.models import Appeal
from townhall.sites.models import Site, Story

SORTS = ("newest", "oldest", "top")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class ThreadQuery:
    site: Site
    story_key: str
    viewer: User | None = None
    sort: str = "newest"
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT
    focus: int | None = None  # a comment id: show its whole thread first (permalinks)


def _visible(viewer: User | None) -> Q:
    shown = Q(status=Status.PUBLISHED) | Q(status=Status.DELETED)
    if viewer is not None:
        # Authors see their own held and rejected comments, with the reasons.
        shown |= Q(status__in=[Status.PENDING, Status.REJECTED], author__user_id=viewer.pk)
    return shown


def _order(sort: str) -> list[str]:
    if sort == "oldest":
        return ["created_at", "id"]
    if sort == "top":
        return ["-like_count", "-created_at", "-id"]
    return ["-created_at", "-id"]


def _after(sort: str, values: list[Any]) -> Q:
    """Rows strictly after the cursor's row in ``sort`` order."""
    try:
        if sort == "top":
            likes, created, pk = int(values[0]), datetime.fromisoformat(values[1]), int(values[2])
            return (
                Q(like_count__lt=likes)
                | Q(like_count=likes, created_at__lt=created)
                | Q(like_count=likes, created_at=created, id__lt=pk)
            )
        created, pk = datetime.fromisoformat(values[0]), int(values[1])
    except (IndexError, TypeError, ValueError):
        raise ApiError(400, "invalid_cursor", gettext("The cursor is not valid.")) from None
    if sort == "oldest":
        return Q(created_at__gt=created) | Q(created_at=created, id__gt=pk)
    return Q(created_at__lt=created) | Q(created_at=created, id__lt=pk)


def _cursor_values(sort: str, c: Comment) -> list[Any]:
    if sort == "top":
        return [c.like_count, c.created_at.isoformat(), c.pk]
    return [c.created_at.isoformat(), c.pk]


def serialize_story(story: Story | None, site: Site, key: str) -> dict[str, Any]:
    if story is None:
        return {"key": key, "title": "", "url": "", "comment_count": 0, "closed": False}
    story.site = site
    return {
        "key": story.key,
        "title": story.title,
        "url": story.url,
        "comment_count": story.comment_count,
        "closed": story.is_closed(),
    }


@dataclass
class ViewerState:
    """What the signed-in reader has to do with the comments on the page."""

    liked: set[int] = field(default_factory=set)
    muted: set[int] = field(default_factory=set)
    reports: dict[int, dict[str, str]] = field(default_factory=dict)
    appeals: dict[int, dict[str, str]] = field(default_factory=dict)


def serialize_comment(c: Comment, viewer: User | None, state: ViewerState) -> dict[str, Any]:
    deleted = c.status == Status.DELETED
    author: dict[str, Any] | None
    if deleted:
        author = None
    elif c.author is not None:
        author = {"id": c.author.user_id, "display_name": c.author.display_name}
    else:
        author = {"id": None, "display_name": c.author_name or "Guest"}
    own = viewer is not None and c.author is not None and c.author.user_id == viewer.pk
    data: dict[str, Any] = {
        "id": c.pk,
        "parent_id": c.parent_id,
        "author": author,
        "body_html": "" if deleted else c.body_html,
        "created_at": c.created_at.isoformat(),
        "edited_at": c.edited_at.isoformat() if c.edited_at else None,
        "status": c.status,
        "reactions": {"like": c.like_count},
        "featured": c.featured,
        "liked": c.pk in state.liked,
        "own": own and not deleted,
        "replies": [],
    }
    if own and c.status in (Status.PENDING, Status.REJECTED):
        # The author alone learns which guideline held their comment, and may appeal.
        data["reasons"] = c.reasons
    if own and c.pk in state.appeals:
        data["appeal"] = state.appeals[c.pk]  # granted ones too: the answer is still news
    correction = next((r for r in c.reasons if r.get("correction")), None)
    if correction is not None and not deleted:
        # Published with the newsroom's correction (Be Truthful, "annotate" sites).
        data["correction"] = {"text": correction["correction"], "link": correction.get("link", "")}
    if c.pk in state.reports:
        data["my_report"] = state.reports[c.pk]
    return data


def build_thread(q: ThreadQuery) -> dict[str, Any]:
    """Return the API's thread payload for one story.

    Raises:
        ApiError: 400 for a bad sort, limit or cursor.
    """
    if q.sort not in SORTS:
        raise ApiError(400, "invalid_sort", f"sort must be one of {', '.join(SORTS)}.")
    if not 1 <= q.limit <= MAX_LIMIT:
        raise ApiError(400, "invalid_limit", f"limit must be between 1 and {MAX_LIMIT}.")
    after: Q | None = None
    if q.cursor:
        try:
            after = _after(q.sort, cursor_codec.decode(q.sort, q.cursor))
        except cursor_codec.BadCursor as exc:
            raise ApiError(400, "invalid_cursor", str(exc)) from None
    story = Story.objects.filter(site=q.site, key=q.story_key).first()
    payload: dict[str, Any] = {
        "story": serialize_story(story, q.site, q.story_key),
        "comments": [],
        "next_cursor": None,
    }
    if story is None:
        return payload

    shown = _visible(q.viewer)
    base: QuerySet[Comment] = Comment.objects.filter(story=story).select_related("author")
    if q.focus is not None:
        roots = list(base.filter(shown, depth=0, pk=_focus_root(story, q.focus)))
        has_more = False
    else:
        top = base.filter(shown, depth=0).order_by(*_order(q.sort))
        if after is not None:
            top = top.filter(after)
        roots = list(top[: q.limit + 1])
        has_more = len(roots) > q.limit
        roots = roots[: q.limit]
    if has_more:
        payload["next_cursor"] = cursor_codec.encode(q.sort, _cursor_values(q.sort, roots[-1]))
    if not roots:
        return payload

    replies = list(
        base.filter(shown, root_id__in=[r.pk for r in roots], depth__gt=0).order_by(
            "created_at", "id"
        )
    )
    state = _viewer_state(q, roots + replies)
    payload["comments"] = _assemble(roots, replies, q.viewer, state)
    return payload


def _viewer_state(q: ThreadQuery, comments: list[Comment]) -> ViewerState:
    """Likes, mutes, reports and appeals of the signed-in reader: three or four queries."""
    state = ViewerState()
    if q.viewer is None:
        return state
    ids = [c.pk for c in comments]
    state.liked = set(
        Reaction.objects.filter(user=q.viewer, comment_id__in=ids).values_list(
            "comment_id", flat=True
        )
    )
    state.muted = set(
        Mute.objects.filter(site=q.site, user=q.viewer).values_list("muted_id", flat=True)
    )
    state.reports = {
        cid: {"reason": reason, "outcome": outcome}
        for cid, reason, outcome in Report.objects.filter(
            reporter=q.viewer, comment_id__in=ids
        ).values_list("comment_id", "reason", "outcome")
    }
    own = [c.pk for c in comments if c.author is not None and c.author.user_id == q.viewer.pk]
    if own:
        state.appeals = {
            cid: {"state": st, "answer": answer}
            for cid, st, answer in Appeal.objects.filter(comment_id__in=own).values_list(
                "comment_id", "state", "answer"
            )
        }
    return state


def _focus_root(story: Story, comment_id: int) -> int:
    root = Comment.objects.filter(story=story, pk=comment_id).values_list("root_id", flat=True)
    found = root.first()
    if found is None:
        raise ApiError(404, "comment_not_found", gettext("That comment is not in this story."))
    return found


def _assemble(
    roots: list[Comment],
    replies: list[Comment],
    viewer: User | None,
    state: ViewerState,
) -> list[dict[str, Any]]:
    nodes: dict[int, dict[str, Any]] = {}
    hidden: set[int] = set()
    for c in roots + replies:
        if (c.author is not None and c.author.user_id in state.muted) or c.parent_id in hidden:
            hidden.add(c.pk)  # a muted reader's comment goes with the replies under it
            continue
        nodes[c.pk] = serialize_comment(c, viewer, state)
    for c in replies:
        node = nodes.get(c.pk)
        parent = nodes.get(c.parent_id) if c.parent_id else None
        if node is not None and parent is not None:
            parent["replies"].append(node)
    out = []
    for r in roots:
        node = nodes.get(r.pk)
        if node is not None and _prune(node):
            out.append(node)
    return out


def _prune(node: dict[str, Any]) -> bool:
    """Drop tombstones with nothing under them; keep the ones that hold replies."""
    node["replies"] = [child for child in node["replies"] if _prune(child)]
    return node["status"] != Status.DELETED or bool(node["replies"])


def counts(site: Site, keys: list[str]) -> dict[str, int]:
    """Published comment counts for many stories in one query; unknown stories count 0."""
    found = dict(Story.objects.filter(site=site, key__in=keys).values_list("key", "comment_count"))
    return {k: found.get(k, 0) for k in keys}
