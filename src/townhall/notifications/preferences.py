"""Reading and changing a reader's notification choices, and the signed unsubscribe link."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils import timezone

from townhall.accounts.models import User
from townhall.notifications.models import Kind, Preferences

_UNSUBSCRIBE_SALT = "townhall.unsubscribe"


def for_user(user: User) -> Preferences:
    """The reader's preferences; the defaults (unsaved) when they never changed one."""
    prefs = Preferences.objects.filter(user=user).first()
    return prefs if prefs is not None else Preferences(user=user)


def as_dict(prefs: Preferences) -> dict[str, bool]:
    return {kind: prefs.wants(kind) for kind in Kind.values}


def update(user: User, changes: dict[str, bool]) -> Preferences:
    """Set the given kinds on or off; return the saved preferences."""
    prefs, _ = Preferences.objects.get_or_create(user=user)
    for kind, on in changes.items():
        if kind in Kind.values and on is not None:
            setattr(prefs, kind, bool(on))
    prefs.updated_at = timezone.now()
    prefs.save()
    return prefs


def remember_language(user: User, language: str) -> None:
    """Write the reader's mail in ``language`` from now on (a shipped language code)."""
    if not language or language not in dict(settings.LANGUAGES):
        return
    if (
        not Preferences.objects.filter(user=user)
        .exclude(language=language)
        .update(language=language)
    ):
        Preferences.objects.get_or_create(user=user, defaults={"language": language})


def mail_language(prefs: Preferences) -> str:
    """The language to write this reader's mail in."""
    language = prefs.language
    if language and language in dict(settings.LANGUAGES):
        return language
    return settings.LANGUAGE_CODE


def unsubscribe_token(user: User, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=_UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(user: User, kind: str) -> str:
    return f"{settings.PUBLIC_URL}/notifications/unsubscribe/{unsubscribe_token(user, kind)}/"


def read_token(token: str) -> tuple[User, str] | None:
    """The reader and kind a link is for, or None for a tampered or stale one.

    The link never expires: an old mail's unsubscribe link has to keep working.
    """
    try:
        data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
        kind = str(data["k"])
        user = User.objects.filter(pk=int(data["u"])).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or kind not in Kind.values:
        return None
    return user, kind
