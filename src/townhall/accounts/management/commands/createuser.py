"""``townhall createuser NAME --email E --password P --role R [--site S] [--token]``"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from townhall.accounts.models import ApiToken, Membership, Role, User
from townhall.accounts.services import clean_display_name
from townhall.api.errors import ApiError
from townhall.sites.models import Site


class Command(BaseCommand):
    help = "Create an account; with --token, print an API token as the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Display name on the site")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", default="")
        parser.add_argument(
            "--role", choices=["commenter", "moderator", "admin"], default="commenter"
        )
        parser.add_argument("--site", default="", help="Site slug for the membership")
        parser.add_argument("--token", action="store_true", help="Also issue an API token")

    def handle(self, *args: Any, **opts: Any) -> None:
        role = opts["role"]
        site = None
        if opts["site"]:
            site = Site.objects.filter(slug=opts["site"]).first()
            if site is None:
                raise CommandError(f"no site {opts['site']!r}")
        elif role != "admin":
            raise CommandError("--site is required for commenters and moderators")
        try:
            name = clean_display_name(opts["name"])
        except ApiError as exc:
            raise CommandError(exc.message) from exc
        if User.objects.filter(email__iexact=opts["email"]).exists():
            raise CommandError(f"an account with {opts['email']} already exists")
        with transaction.atomic():
            user = User.objects.create_user(
                email=opts["email"],
                password=opts["password"] or None,
                email_verified=True,
                is_admin=role == "admin",
                is_superuser=role == "admin",
            )
            if site is not None:
                Membership.objects.create(
                    user=user,
                    site=site,
                    display_name=name,
                    role=Role.MODERATOR if role in ("moderator", "admin") else Role.COMMENTER,
                )
        where = f" on {site.slug}" if site else ""
        self.stdout.write(f"created {role} {name} <{user.email}>{where} (id {user.pk})")
        if opts["token"]:
            _, raw = ApiToken.issue(user, name="createuser")
            self.stdout.write(raw)
