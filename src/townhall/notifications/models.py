"""What each reader wants mailed, and every mail townhall has to send (an outbox)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townhall.accounts.models import User


class Kind(models.TextChoices):
    REPLIES = "replies", _("Replies to my comments")
    OUTCOMES = "outcomes", _("Moderators' decisions on my comments")
    REPORT_OUTCOMES = "report_outcomes", _("Moderators' decisions on my reports")
    DIGEST = "digest", _("Daily digest of the moderation queues (moderators)")


class Preferences(models.Model):
    """One row per reader who changed a default; without a row the defaults below apply."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    replies = models.BooleanField(default=True)
    outcomes = models.BooleanField(default=True)
    report_outcomes = models.BooleanField(default=False)
    digest = models.BooleanField(default=True)
    # The language of the reader's last sign-in or settings change: mail is written in
    # it. Empty (never signed in since) means the install's LANGUAGE_CODE.
    language = models.CharField(max_length=10, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, kind))


class Notice(models.Model):
    """One mail: written when its cause is dispatched, sent by a background task.

    ``key`` names the cause (``reply:42``), so one cause never mails a reader twice.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="notice_once_per_cause")
        ]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="notice_unsent")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.user_id}: {self.subject}"
