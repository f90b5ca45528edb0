"""Closing and reopening stories."""

from __future__ import annotations

from django.db import transaction

from townhall.accounts.models import User
from townhall.review import audit
from townhall.review.models import ActorKind
from townhall.review.services import require_moderator
from townhall.sites.models import Site, Story


def set_closed(site: Site, key: str, actor: User | None, closed: bool) -> Story:
    """Close a story to new comments or reopen it; a story not seen yet is created closed.

    Raises:
        ApiError: 401/403 not a moderator of ``site``.
    """
    require_moderator(actor, site)
    with transaction.atomic():
        story, _ = Story.objects.get_or_create(site=site, key=key)
        story.closed = closed
        story.save(update_fields=["closed"])
        audit.record(
            site,
            "story.closed" if closed else "story.reopened",
            actor_kind=ActorKind.MODERATOR,
            actor=actor,
            data={"story": key},
        )
    return story
