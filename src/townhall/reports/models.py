"""Readers' reports on published comments (Be Proactive)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townhall.accounts.models import User
from townhall.comments.models import Comment


class Reason(models.TextChoices):
    OBSCENE = "obscene", _("Obscene or vulgar")
    THREAT = "threat", _("Threatening")
    UNTRUTHFUL = "untruthful", _("Knowingly untrue")
    DEGRADING = "degrading", _("Degrading to a person or group")
    SPAM = "spam", _("Spam")
    OTHER = "other", _("Something else")


# Which guideline a report reason invokes (DESIGN.md, "Contract details").
REASON_GUIDELINE: dict[str, str | None] = {
    Reason.OBSCENE: "clean",
    Reason.THREAT: "no_threats",
    Reason.UNTRUTHFUL: "truthful",
    Reason.DEGRADING: "nice",
    Reason.SPAM: "spam",
    Reason.OTHER: None,
}


class Report(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    weight = models.FloatField(default=1.0)
    outcome = models.CharField(
        max_length=12,
        choices=[("open", _("Open")), ("upheld", _("Upheld")), ("dismissed", _("Dismissed"))],
        default="open",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="report_once")]

    def __str__(self) -> str:
        return f"{self.reason} report on {self.comment_id}"

    @property
    def guideline(self) -> str | None:
        return REASON_GUIDELINE[self.reason]
