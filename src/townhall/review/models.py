"""The newsroom's records: debunked claims and the audit log of every decision."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townhall.accounts.models import User
from townhall.comments.models import Comment
from townhall.sites.models import Site


class DebunkedClaim(models.Model):
    """A claim the newsroom has checked and found false (Be Truthful)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="debunked_claims")
    claim = models.TextField(help_text=_("The false claim, as readers tend to put it"))
    correction = models.TextField(blank=True)
    link = models.URLField(blank=True, help_text=_("The newsroom's fact-check"))
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.claim[:60]


class ActorKind(models.TextChoices):
    ENGINE = "engine", _("Moderation engine")
    MODERATOR = "moderator", _("Moderator")
    READERS = "readers", _("Readers' reports")
    AUTHOR = "author", _("Author")


class AuditEntry(models.Model):
    """One decision about a comment or a person, by the engine or by someone.

    Nothing a moderator does goes unrecorded; the engine's judgement of every new
    or edited comment is recorded too, with the scores it had at the time.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="audit_entries")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    subject = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    action = models.CharField(max_length=40)
    guideline = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["site", "-created_at"], name="audit_site_recent")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_kind} at {self.created_at:%Y-%m-%d %H:%M}"


class Tip(models.Model):
    """Share with Us: an eyewitness account or tip sent privately to the newsroom."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        FOLLOWED_UP = "followed_up", _("Followed up")
        CLOSED = "closed", _("Closed")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="tips")
    story_key = models.CharField(max_length=200, blank=True)
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tips",
        help_text=_("A comment its author marked as an eyewitness account"),
    )
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(blank=True)
    contact = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW)
    note = models.TextField(blank=True, help_text=_("The newsroom's own notes"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["site", "state", "-created_at"], name="tips_inbox")]

    def __str__(self) -> str:
        return f"tip {self.pk} ({self.state})"


class Appeal(models.Model):
    """An author's one request that a moderator look again at a held or rejected comment."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        GRANTED = "granted", _("Granted")
        DENIED = "denied", _("Denied")

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="appeal")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="appeals")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="appeals")
    note = models.CharField(max_length=1000)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    answer = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["site", "state", "created_at"], name="appeals_queue")]

    def __str__(self) -> str:
        return f"appeal on {self.comment_id} ({self.state})"
