"""``townhall purge``: forget what is kept only for a while. Run it daily from cron."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.utils import timezone

from townhall.accounts import privacy


class Command(BaseCommand):
    help = (
        "Delete address hashes older than TOWNHALL_IP_RETENTION_DAYS and expired sessions. "
        "Safe to run at any time; meant for a daily cron job."
    )

    def handle(self, *args: Any, **opts: Any) -> None:
        ips = privacy.purge_ip_hashes()
        sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        self.stdout.write(f"purged {ips} address hashes and {sessions} expired sessions")
