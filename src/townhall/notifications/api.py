"""The reader's notification settings: ``GET``/``PATCH /api/v1/me/notifications``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from pydantic import StrictBool

from townhall.accounts.models import User
from townhall.api.auth import require_caller
from townhall.api.schemas import ObjectIn
from townhall.notifications import preferences
from townhall.notifications.mailing import can_mail

router = Router(tags=["notifications"])


class NotificationsPatch(ObjectIn):
    # Strict: a settings switch is true or false, never 0.0 or "yes".
    replies: StrictBool | None = None
    outcomes: StrictBool | None = None
    report_outcomes: StrictBool | None = None
    digest: StrictBool | None = None


def _payload(user: User) -> dict[str, Any]:
    return {
        **preferences.as_dict(preferences.for_user(user)),
        "email": user.email,
        # Mail only goes to a confirmed address; the settings panel says so.
        "can_mail": can_mail(user),
    }


@router.get("/me/notifications")
def get_notifications(request: HttpRequest) -> dict[str, Any]:
    """Which emails the caller gets: ``replies``, ``outcomes`` (moderators' decisions on
    their comments), ``report_outcomes`` (on their reports), ``digest`` (moderators)."""
    return _payload(require_caller(request))


@router.patch("/me/notifications")
def patch_notifications(request: HttpRequest, data: NotificationsPatch) -> dict[str, Any]:
    user = require_caller(request)
    preferences.update(user, data.dict(exclude_none=True))
    preferences.remember_language(user, getattr(request, "LANGUAGE_CODE", ""))
    return _payload(user)
