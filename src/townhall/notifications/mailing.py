"""Writing notices to the outbox and sending them, with a one-click unsubscribe link."""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from townhall.accounts.models import User
from townhall.lib import background
from townhall.notifications import preferences
from townhall.notifications.models import Kind, Notice

log = logging.getLogger(__name__)


def can_mail(user: User) -> bool:
    """Only confirmed addresses get mail: an unconfirmed one may be someone else's."""
    return bool(user.is_active and user.email and user.email_verified)


def queue(user: User, kind: str, key: str, template: str, context: dict[str, object]) -> bool:
    """Write a notice for ``user`` and send it after the commit; return whether one was written.

    Nothing is written when the reader cannot be mailed, does not want ``kind``,
    or already has a notice for ``key``.
    """
    prefs = preferences.for_user(user)
    if not can_mail(user) or not prefs.wants(kind):
        return False
    # The moderator whose action caused this mail may read another language than the reader.
    with translation.override(preferences.mail_language(prefs)):
        text = render_to_string(f"notifications/email/{template}.txt", context).strip()
    subject, _, body = text.partition("\n")
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                user=user, kind=kind, key=key, subject=subject.strip()[:200], body=body.strip()
            )
    except IntegrityError:
        return False  # this cause was already mailed
    from townhall.notifications import tasks

    background.send_on_commit(tasks.send_notice, notice.pk)
    return True


def send(notice_id: int) -> bool:
    """Mail a notice not yet sent; return whether a mail went out.

    Raises whatever the mail backend raises, after recording it, so the task retries.
    """
    notice = Notice.objects.select_related("user").filter(pk=notice_id, sent_at=None).first()
    if notice is None:
        return False
    user = notice.user
    prefs = preferences.for_user(user)
    if not can_mail(user) or not prefs.wants(notice.kind):
        # Unsubscribed (or the address went away) since the notice was written.
        Notice.objects.filter(pk=notice.pk).update(error="not sent: reader opted out")
        return False
    # Claim this try: a duplicate message for the same notice finds the count moved on.
    if not Notice.objects.filter(pk=notice.pk, sent_at=None, attempts=notice.attempts).update(
        attempts=F("attempts") + 1
    ):
        return False
    link = preferences.unsubscribe_url(user, notice.kind)
    with translation.override(preferences.mail_language(prefs)):
        footer = "\n\n--\n" + gettext(
            "You get this because of your choice: %(choice)s.\n"
            "Stop these emails with one click: %(link)s\n"
        ) % {"choice": Kind(notice.kind).label, "link": link}
    message = EmailMessage(
        notice.subject,
        notice.body + footer,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    try:
        message.send()
    except Exception as exc:
        Notice.objects.filter(pk=notice.pk).update(error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now(), error="")
    return True
