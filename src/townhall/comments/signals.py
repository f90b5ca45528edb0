"""Keep cached thread payloads honest: any saved change makes them stale."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from townhall.comments import cache
from townhall.comments.models import Comment
from townhall.live import events as live_events
from townhall.sites.models import Site, Story


@receiver(post_save, sender=Comment, dispatch_uid="th-comment-saved")
@receiver(post_delete, sender=Comment, dispatch_uid="th-comment-deleted")
def comment_changed(sender: Any, instance: Comment, **kwargs: Any) -> None:
    cache.invalidate_story(instance.story_id)
    # Open frames of the story learn of it too (after commit): see townhall.live.
    live_events.comment_saved(
        instance,
        created=kwargs.get("created", False),
        deleted=kwargs["signal"] is post_delete,
        fields=kwargs.get("update_fields"),
    )


@receiver(post_save, sender=Story, dispatch_uid="th-story-saved")
def story_changed(sender: Any, instance: Story, created: bool, **kwargs: Any) -> None:
    if created:
        cache.forget_story_id(instance)
    cache.invalidate_story(instance.pk)


@receiver(post_delete, sender=Story, dispatch_uid="th-story-deleted")
def story_deleted(sender: Any, instance: Story, **kwargs: Any) -> None:
    cache.forget_story_id(instance)
    cache.invalidate_story(instance.pk)
    cache.invalidate_counts(instance.site_id)


@receiver(post_save, sender=Site, dispatch_uid="th-site-saved")
@receiver(post_delete, sender=Site, dispatch_uid="th-site-deleted")
def site_changed(sender: Any, instance: Site, **kwargs: Any) -> None:
    cache.invalidate_site(instance)
