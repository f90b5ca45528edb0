"""Sites (publications, the tenant) and the stories their readers comment on."""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townhall.sites.guidelines import default_guidelines


class PreModeration(models.TextChoices):
    OFF = "off", _("Off")
    NEW_USERS = "new_users", _("New users")
    LINKS = "links", _("Comments with links")
    ALL = "all", _("All comments")


class Site(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    allowed_origins = models.JSONField(
        default=list, blank=True, help_text=_("Origins allowed to embed, e.g. https://news.example")
    )
    guidelines = models.JSONField(default=default_guidelines)
    anonymous_posting = models.BooleanField(default=False)
    max_reply_depth = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    edit_window_minutes = models.PositiveIntegerField(default=15)
    close_after_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Close stories this many days after creation; empty: never"),
    )
    min_comment_length = models.PositiveIntegerField(default=1)
    max_comment_length = models.PositiveIntegerField(default=5000)
    premoderation = models.CharField(
        max_length=16, choices=PreModeration.choices, default=PreModeration.OFF
    )
    # Moderation policy (see docs/moderation): per-attribute overrides of the
    # engine's default thresholds, word lists, links, an optional external scorer.
    hold_thresholds = models.JSONField(default=dict, blank=True)
    reject_thresholds = models.JSONField(default=dict, blank=True)
    banned_words = models.JSONField(default=list, blank=True)
    suspect_words = models.JSONField(default=list, blank=True)
    max_links = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=2,
        help_text=_("Hold comments with more links; empty: no limit"),
    )
    claims_action = models.CharField(
        max_length=12,
        choices=[
            ("hold", _("Hold for a moderator")),
            ("annotate", _("Publish with the correction")),
        ],
        default="hold",
    )
    report_hide_weight = models.FloatField(
        default=3.0, help_text=_("Weighted reports that hide a comment until a moderator decides")
    )
    scorer_url = models.URLField(blank=True, help_text=_("External scorer endpoint (optional)"))
    scorer_secret = models.CharField(max_length=200, blank=True)
    scorer_timeout = models.FloatField(default=2.0)
    scorer_failure = models.CharField(
        max_length=8,
        choices=[("hold", _("Hold the comment")), ("publish", _("Publish on other scores"))],
        default="hold",
    )
    sso_secret = models.CharField(max_length=200, blank=True)
    sso_public_key = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.slug

    def origin_allowed(self, origin: str) -> bool:
        return origin.rstrip("/") in {o.rstrip("/") for o in self.allowed_origins}


class Story(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="stories")
    key = models.CharField(max_length=200)
    url = models.URLField(max_length=1000, blank=True)
    title = models.CharField(max_length=300, blank=True)
    closed = models.BooleanField(default=False)
    # Maintained in the same transaction as every status change (comments.services),
    # so counts are exact without COUNT(*) on read.
    comment_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="story_unique_key_per_site")
        ]

    def __str__(self) -> str:
        return f"{self.site.slug}/{self.key}"

    def is_closed(self, now: timezone.datetime | None = None) -> bool:
        """Closed by hand, or older than the site's ``close_after_days``."""
        if self.closed:
            return True
        days = self.site.close_after_days
        if days is None:
            return False
        return (now or timezone.now()) >= self.created_at + timedelta(days=days)
