"""Comments, their edit history and reactions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from townhall.accounts.models import Membership, User
from townhall.sites.models import Site, Story


class Status(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("comment status", "Published")
    PENDING = "pending", pgettext_lazy("comment status", "Pending")
    REJECTED = "rejected", pgettext_lazy("comment status", "Rejected")
    DELETED = "deleted", pgettext_lazy("comment status", "Deleted")


class Comment(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="comments")
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # The top-level comment of the thread (itself for a top-level one): one query
    # fetches every reply of a page of threads.
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    author = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    author_name = models.CharField(max_length=40, blank=True, help_text=_("Anonymous posters"))
    body = models.TextField()
    body_html = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    reasons = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    featured = models.BooleanField(default=False)
    # Set when a moderator decided on the comment (the "approved" queue).
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sum of the weights of open reports; past the site's threshold the comment hides.
    report_weight = models.FloatField(default=0.0)
    open_reports = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(fields=["story", "depth", "status", "-created_at"], name="thread_newest"),
            models.Index(fields=["story", "depth", "status", "-like_count"], name="thread_top"),
            models.Index(fields=["root", "created_at"], name="thread_replies"),
            models.Index(fields=["author", "-created_at"], name="comment_author_recent"),
            models.Index(fields=["site", "status", "-created_at"], name="queue_status"),
            models.Index(fields=["site", "open_reports", "-created_at"], name="queue_reported"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.story_id}"


class CommentRevision(models.Model):
    """A body a comment had before an edit."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"revision of {self.comment_id}"


class Reaction(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", _("Like")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.LIKE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user", "kind"], name="react_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.user_id} on {self.comment_id}"
