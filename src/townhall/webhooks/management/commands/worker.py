"""``townhall worker``: process the Redis queue (mail, webhooks) with Dramatiq workers."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from townhall.webhooks.dispatch import sweep


class Command(BaseCommand):
    help = (
        "Run background workers for TOWNHALL_BACKGROUND=redis (wraps django_dramatiq's "
        "rundramatiq). First queues again any event, delivery or mail a lost message left."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--processes", type=int, default=int(os.environ.get("DRAMATIQ_NPROCS", "1"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("DRAMATIQ_NTHREADS", "4"))
        )
        parser.add_argument(
            "--sweep-only",
            action="store_true",
            help="Only queue lost work again, then exit (for cron).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TOWNHALL_BACKGROUND != "redis":
            raise CommandError(
                "TOWNHALL_BACKGROUND is inprocess: background work runs inside each "
                "townhall process. Set TOWNHALL_BACKGROUND=redis (and REDIS_URL) to use workers."
            )
        events, deliveries, notices = sweep(older_than_seconds=0 if options["sweep_only"] else 60)
        self.stdout.write(
            f"Queued again: {events} event(s), {deliveries} delivery(ies), {notices} mail(s)."
        )
        if options["sweep_only"]:
            return
        call_command(
            "rundramatiq",
            processes=options["processes"],
            threads=options["threads"],
            skip_logging=False,
        )
