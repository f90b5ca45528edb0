"""``townhall createsite SLUG --name NAME --origin URL…``"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townhall.sites.services import create_site


class Command(BaseCommand):
    help = "Create a site (a publication) that may embed townhall."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--origin", action="append", default=[], nargs="+", help="Allowed origin(s)"
        )
        sso = parser.add_mutually_exclusive_group()
        sso.add_argument("--sso-secret", default="", help="HS256 secret for publisher SSO")
        sso.add_argument("--sso-public-key", default="", help="PEM file of the RS256 public key")

    def handle(self, *args: Any, **opts: Any) -> None:
        origins = [o for group in opts["origin"] for o in group]
        key = ""
        if opts["sso_public_key"]:
            try:
                key = Path(opts["sso_public_key"]).read_text()
            except OSError as exc:
                raise CommandError(f"cannot read {opts['sso_public_key']}: {exc}") from exc
        try:
            site = create_site(
                opts["slug"],
                opts["name"],
                origins,
                sso_secret=opts["sso_secret"],
                sso_public_key=key,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"created site {site.slug} ({site.name})")
        for origin in site.allowed_origins:
            self.stdout.write(f"  allowed origin {origin}")
