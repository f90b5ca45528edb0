"""Posting, editing, deleting and reacting to comments.

Every change of a comment's status goes through ``set_status`` so the story's
published count moves in the same transaction and stays exact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from townhall.accounts import trust
from townhall.accounts.models import Membership, User
from townhall.accounts.services import check_can_post, clean_display_name, ensure_membership
from townhall.api.errors import ApiError
from townhall.comments import cache as thread_cache
from townhall.comments.models import Comment, CommentRevision, Reaction, Status
from townhall.lib import markdown, ratelimit
from townhall.review import audit, policy
from townhall.review.judge import judge
from townhall.sites.models import Site, Story
from townhall.webhooks import events


def get_site(slug: str) -> Site:
    site = Site.objects.filter(slug=slug).first()
    if site is None:
        raise ApiError(404, "site_not_found", gettext("No site “%(site)s”.") % {"site": slug})
    return site


def _count_delta(old: str | None, new: str) -> int:
    was = old == Status.PUBLISHED
    now = new == Status.PUBLISHED
    return int(now) - int(was)


def _bump_count(site_id: int, story_id: int, delta: int) -> None:
    if delta:
        Story.objects.filter(pk=story_id).update(comment_count=F("comment_count") + delta)
        thread_cache.invalidate_counts(site_id)


def set_status(comment: Comment, status: str, fields: list[str] | None = None) -> None:
    """Save ``comment`` with a new status and keep the story's count in step."""
    delta = _count_delta(comment.status, status)
    policy.record_status_change(comment.author_id, comment.status, status)
    comment.status = status
    comment.save(update_fields=["status", *(fields or [])])
    _bump_count(comment.site_id, comment.story_id, delta)


def _clean_body(site: Site, body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(body) < max(1, site.min_comment_length):
        raise ApiError(422, "too_short", gettext("Write something before posting."))
    if len(body) > site.max_comment_length:
        raise ApiError(
            413,
            "too_long",
            gettext(
                "Comments on this site are limited to %(limit)d characters "
                "(this one has %(length)d)."
            )
            % {"limit": site.max_comment_length, "length": len(body)},
        )
    return body


@dataclass(frozen=True)
class NewComment:
    site: Site
    story_key: str
    body: str
    user: User | None
    parent_id: int | None = None
    story_url: str = ""
    story_title: str = ""
    author_name: str = ""
    client: str = ""  # hashed IP, for limits on anonymous posters


def _story_for_post(
    site: Site, key: str, url: str, title: str, found: Story | None = None
) -> Story:
    """The story to post under, created if needed; ``found`` is the one already read."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise ApiError(
            422, "invalid_story", gettext("A story key of 1–200 characters is required.")
        )
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        url = ""  # it becomes every permalink's href: never javascript:, data: and the like
    if found is not None:
        story, created = found, False
    else:
        story, created = Story.objects.get_or_create(
            site=site, key=key, defaults={"url": url[:1000], "title": title[:300]}
        )
    if not created and ((url and not story.url) or (title and not story.title)):
        story.url = story.url or url[:1000]
        story.title = story.title or title[:300]
        story.save(update_fields=["url", "title"])
    return story


def _duplicate_key(site: Site, who: str, body: str) -> str:
    digest = hashlib.sha256(" ".join(body.casefold().split()).encode()).hexdigest()[:24]
    return f"dup:{site.pk}:{who}:{digest}"


def post_comment(new: NewComment) -> Comment:
    """Store a comment and its judgement; return it.

    Refusals raise ApiError and store nothing: 401 not signed in, 403 suspended,
    banned or story closed, 404 unknown parent, 409 duplicate, 413/422 length or
    depth, 429 too fast. A judgement (pending/rejected) is still stored.
    """
    site = new.site
    membership: Membership | None = None
    guest_name = ""
    if new.user is None:
        if not site.anonymous_posting:
            raise ApiError(401, "not_authenticated", gettext("Log in or sign up to comment."))
        who = f"anon:{new.client}"
        # A guest's name obeys the display-name rules (no "Moderator", bidi or zero-width).
        guest_name = clean_display_name(new.author_name) if new.author_name.strip() else "Guest"
    else:
        membership = ensure_membership(new.user, site)
        membership.user = new.user  # the same row: spares the engine's context a query
        check_can_post(membership)
        who = f"user:{new.user.pk}"
    body = _clean_body(site, new.body)
    # Looked up here, created only with the comment: a refusal leaves no story behind.
    story_key = (new.story_key or "").strip()
    if not story_key or len(story_key) > 200:
        raise ApiError(
            422, "invalid_story", gettext("A story key of 1–200 characters is required.")
        )
    story = Story.objects.filter(site=site, key=story_key).first()
    if story is not None:
        story.site = site  # is_closed reads the site's settings: the one in hand
    if story is not None and story.is_closed():
        raise ApiError(403, "story_closed", gettext("Comments on this story are closed."))

    parent: Comment | None = None
    if new.parent_id is not None:
        parent = Comment.objects.filter(pk=new.parent_id, story=story).first()
        own_pending = (
            parent is not None
            and membership is not None
            and parent.status == Status.PENDING
            and parent.author_id == membership.pk
        )
        if parent is None or not (parent.status == Status.PUBLISHED or own_pending):
            raise ApiError(
                404, "parent_not_found", gettext("The comment you reply to is not there.")
            )
        if parent.depth + 1 > site.max_reply_depth:
            raise ApiError(
                422, "too_deep", gettext("This thread is as deep as it goes; reply further up.")
            )

    trust.hit_post_limits(site.pk, who, membership)
    dup_key = _duplicate_key(site, who, body)
    if settings.TOWNHALL_DUPLICATE_WINDOW and not cache.add(
        dup_key, 1, timeout=settings.TOWNHALL_DUPLICATE_WINDOW
    ):
        raise ApiError(409, "duplicate", gettext("You have just posted the same comment."))

    judgement = judge(site, body, membership)
    # Rendered before the transaction: on SQLite the write lock is held from its start.
    body_html = markdown.render(body)
    try:
        with transaction.atomic():
            story = _story_for_post(site, story_key, new.story_url, new.story_title, story)
            comment = Comment.objects.create(
                site=site,
                story=story,
                parent=parent,
                depth=parent.depth + 1 if parent else 0,
                author=membership,
                author_name=guest_name if membership is None else "",
                body=body,
                body_html=body_html,
                status=judgement.status,
                reasons=judgement.reasons,
                scores=judgement.scores,
            )
            comment.root_id = parent.root_id if parent else comment.pk
            # Not a save: nobody has seen the comment without its root, and a save
            # would invalidate the story's cache (a file or a round trip) once more.
            Comment.objects.filter(pk=comment.pk).update(root_id=comment.root_id)
            _bump_count(story.site_id, story.pk, _count_delta(None, comment.status))
            audit.record_judgement(comment)
            events.comment_posted(comment)
    except Exception:
        cache.delete(dup_key)
        raise
    return comment


def _own_comment(comment_id: int, user: User) -> Comment:
    comment = (
        Comment.objects.select_related("site", "author", "story").filter(pk=comment_id).first()
    )
    if comment is None or comment.status == Status.DELETED:
        raise ApiError(404, "comment_not_found", gettext("No such comment."))
    if comment.author is None or comment.author.user_id != user.pk:
        raise ApiError(403, "not_yours", gettext("You can only change your own comments."))
    return comment


def edit_comment(comment_id: int, user: User, body: str) -> Comment:
    """Replace a comment's body within the site's edit window, keeping the old one."""
    comment = _own_comment(comment_id, user)
    site = comment.site
    check_can_post(comment.author)
    deadline = comment.created_at + timedelta(minutes=site.edit_window_minutes)
    if timezone.now() > deadline:
        raise ApiError(
            403,
            "edit_window_closed",
            ngettext(
                "Comments can be edited for %(minutes)d minute.",
                "Comments can be edited for %(minutes)d minutes.",
                site.edit_window_minutes,
            )
            % {"minutes": site.edit_window_minutes},
        )
    body = _clean_body(site, body)
    if body == comment.body:
        return comment
    judgement = judge(site, body, comment.author)
    previous = comment.status
    with transaction.atomic():
        CommentRevision.objects.create(comment=comment, body=comment.body)
        comment.body = body
        comment.body_html = markdown.render(body)
        comment.edited_at = timezone.now()
        comment.reasons = judgement.reasons
        comment.scores = judgement.scores
        set_status(
            comment, judgement.status, ["body", "body_html", "edited_at", "reasons", "scores"]
        )
        audit.record_judgement(comment, edited=True)
        events.comment_edited(comment, previous)
    return comment


def delete_comment(comment_id: int, user: User) -> None:
    """Delete one's own comment. It stays as a tombstone so replies keep their place."""
    comment = _own_comment(comment_id, user)
    with transaction.atomic():
        comment.revisions.all().delete()
        comment.body = ""
        comment.body_html = ""
        set_status(comment, Status.DELETED, ["body", "body_html"])


def visible_comment(comment_id: int) -> Comment:
    comment = Comment.objects.select_related("site", "author").filter(pk=comment_id).first()
    if comment is None or comment.status != Status.PUBLISHED:
        raise ApiError(404, "comment_not_found", gettext("No such comment."))
    return comment


def toggle_like(comment_id: int, user: User) -> tuple[bool, int]:
    """Like or un-like a published comment; return (liked now, like count)."""
    comment = visible_comment(comment_id)
    ratelimit.hit("react", str(user.pk), 60, 60)
    with transaction.atomic():
        deleted, _ = Reaction.objects.filter(
            comment=comment, user=user, kind=Reaction.Kind.LIKE
        ).delete()
        if deleted:
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") - 1)
            liked = False
        else:
            try:
                with transaction.atomic():
                    Reaction.objects.create(comment=comment, user=user, kind=Reaction.Kind.LIKE)
            except IntegrityError:
                liked = True  # a parallel click already liked it
            else:
                Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + 1)
                liked = True
    thread_cache.invalidate_story(comment.story_id)
    count = Comment.objects.values_list("like_count", flat=True).get(pk=comment.pk)
    return liked, count
