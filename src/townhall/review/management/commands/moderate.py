"""``townhall moderate``: JSON lines in, moderation decisions out (no database needed)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townhall.moderation import Policy
from townhall.moderation.cli import moderate
from townhall.review.policy import policy_for
from townhall.sites.models import Site


class Command(BaseCommand):
    help = (
        'Read JSON lines {"id", "text"} on stdin and write one JSON line '
        '{"id", "decision", "scores", "reasons", "spans"} per input, in order.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--site",
            help="judge with this site's policy (default: townhall's default policy)",
        )
        parser.add_argument("--batch-size", type=int, default=256)
        parser.add_argument(
            "--first-tier-only",
            action="store_true",
            help="score with the linear model alone, without the sentence model: many times faster "
            "bulk runs, less accurate",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="judge in this many processes, one per core at most; output order is kept",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="count the comments judged on stderr (the default when stderr is a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        policy = _site_policy(options["site"]) if options["site"] else None
        show = options["progress"] or sys.stderr.isatty()
        moderate(
            sys.stdin,
            sys.stdout,
            policy=policy,
            batch_size=options["batch_size"],
            second_tier=not options["first_tier_only"],
            workers=options["workers"],
            progress=sys.stderr if show else None,
        )


def _site_policy(slug: str) -> Policy:
    """The moderation policy stored for site ``slug``: thresholds, words, claims, scorer."""
    site = Site.objects.filter(slug=slug).first()
    if site is None:
        raise CommandError(f"no site {slug!r}")
    return policy_for(site)
