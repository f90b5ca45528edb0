"""What an import has already brought in, keyed by the source's own ids.

A second run of the same file looks each record up here and adds nothing; an
interrupted run picks up after the last batch it committed.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townhall.accounts.models import Membership
from townhall.comments.models import Comment
from townhall.sites.models import Site


class Kind(models.TextChoices):
    COMMENT = "comment", "Comment"
    AUTHOR = "author", "Author"


class ImportedRecord(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, help_text=_("disqus, wordpress, isso or coral"))
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source_id = models.CharField(max_length=255)
    # SET_NULL, not CASCADE: a comment a moderator later removes stays "imported",
    # so running the import again does not bring it back.
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "source", "kind", "source_id"], name="import_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.source_id} on {self.site_id}"
