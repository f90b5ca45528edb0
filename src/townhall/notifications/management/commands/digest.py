"""``townhall digest``: mail moderators the size of their queues (run it daily from cron)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from townhall.lib import background
from townhall.notifications.digest import queue_digests
from townhall.sites.models import Site


class Command(BaseCommand):
    help = "Mail each site's moderators how many comments wait in its queues."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--site", action="append", help="Only this site (repeatable).")
        parser.add_argument(
            "--always", action="store_true", help="Mail even when nothing is waiting."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sites = Site.objects.order_by("slug")
        if options["site"]:
            sites = sites.filter(slug__in=options["site"])
            if sites.count() != len(set(options["site"])):
                raise CommandError("Unknown site in --site.")
        written = queue_digests(list(sites), always=options["always"])
        if settings.TOWNHALL_BACKGROUND == "inprocess":
            # The mails are sent by threads of this very process: wait for them.
            background.wait_idle(timeout_ms=120_000)
        self.stdout.write(f"{written} digest(s) queued.")
