"""Who is mailed about which event: authors of replied-to and moderated comments, reporters."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from townhall.accounts.models import User
from townhall.comments.models import Comment
from townhall.embed.services import permalink
from townhall.notifications import mailing, preferences
from townhall.notifications.models import Kind
from townhall.reports.models import Report
from townhall.webhooks.events import event_dispatched
from townhall.webhooks.models import Event


def _context(event: Event, comment: dict[str, Any]) -> dict[str, Any]:
    story = comment.get("story") or {}
    return {
        "site": event.site,
        "comment": comment,
        "story": story,
        "link": permalink(story.get("url", ""), comment["id"]),
    }


def _reply(event: Event, comment: dict[str, Any]) -> None:
    if not comment.get("parent_id"):
        return
    parent = (
        Comment.objects.select_related("author__user")
        .filter(pk=comment["parent_id"], author__isnull=False)
        .first()
    )
    if parent is None or parent.author.user_id == comment["author"]["id"]:
        return  # a guest's comment, or a reply to oneself
    context = {**_context(event, comment), "parent": parent}
    mailing.queue(parent.author.user, Kind.REPLIES, f"reply:{comment['id']}", "reply", context)


def _outcome(event: Event, comment: dict[str, Any], status: str) -> None:
    author_id = comment["author"]["id"]
    author = User.objects.filter(pk=author_id).first() if author_id else None
    context = {**_context(event, comment), "status": status}
    if author is not None:
        key = f"outcome:{comment['id']}:{event.pk}"
        mailing.queue(author, Kind.OUTCOMES, key, "outcome", context)
    # Approving dismisses the comment's reports; rejecting upholds them.
    outcome = "upheld" if status == "rejected" else "dismissed"
    reports = Report.objects.filter(comment_id=comment["id"], outcome=outcome).select_related(
        "reporter"
    )
    for report in reports:
        mailing.queue(
            report.reporter,
            Kind.REPORT_OUTCOMES,
            f"report:{report.pk}",
            "report_outcome",
            {**context, "report": report, "upheld": outcome == "upheld"},
        )


@receiver(event_dispatched)
def on_event(sender: type[Event], event: Event, **kwargs: Any) -> None:
    comment = event.payload.get("comment")
    if comment is None:
        return
    if event.name == "comment.published":
        _reply(event, comment)
    if event.name in ("comment.published", "comment.rejected") and (
        event.payload.get("by") == "moderator"
    ):
        _outcome(event, comment, event.name.split(".", 1)[1])


@receiver(user_logged_in, dispatch_uid="townhall.notifications.language")
def remember_language(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Every sign-in (sign-up, log-in, single sign-on, the dashboard) records the language
    the reader used, so their mail is written in it."""
    if request is not None:
        preferences.remember_language(user, getattr(request, "LANGUAGE_CODE", ""))
