"""``townhall import FORMAT FILE [--site SLUG]``.

FORMAT ``townhall`` restores a townhall export into an empty database; ``disqus``,
``wordpress``, ``isso`` and ``coral`` bring another system's comments into one site
(see docs/importing.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.base import DeserializationError
from tqdm import tqdm

from townhall.importers.formats import READERS
from townhall.importers.loader import BATCH, Importer, Report
from townhall.importers.xmlstream import UnreadableFile
from townhall.sites import transfer
from townhall.sites.models import Site

FORMATS = ("townhall", *READERS)
# Past this many, skipped records are summed up by reason only.
LISTED = 100


class Command(BaseCommand):
    help = (
        "Import comments from FILE. FORMAT townhall restores a townhall export exactly; "
        "disqus, wordpress, isso and coral import another system's comments into --site."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=FORMATS)
        parser.add_argument("file")
        parser.add_argument("--site", help="Site to import into (formats from other systems)")
        parser.add_argument(
            "--story-key",
            choices=("id", "url"),
            default="id",
            help="Key stories by the source's own id (default) or by their URL",
        )
        parser.add_argument(
            "--base-url", default="", help="Isso only: the site's address, to rebuild story URLs"
        )
        parser.add_argument("--batch", type=int, default=BATCH, help="Records per transaction")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["format"] == "townhall":
            self._restore(opts)
        else:
            self._import(opts)

    def _restore(self, opts: dict[str, Any]) -> None:
        try:
            with (
                open(opts["file"], encoding="utf-8") as lines,
                tqdm(unit="obj", desc="import", disable=opts["verbosity"] == 0) as bar,
            ):
                saved = transfer.restore(lines, bar.update)
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc}") from exc
        except transfer.NotEmpty as exc:
            raise CommandError(str(exc)) from exc
        except DeserializationError as exc:
            raise CommandError(f"{opts['file']} is not a townhall export: {exc}") from exc
        self.stderr.write(f"restored {saved} objects from {opts['file']}")

    def _import(self, opts: dict[str, Any]) -> None:
        if not opts["site"]:
            raise CommandError(f"importing {opts['format']} needs --site SLUG")
        site = Site.objects.filter(slug=opts["site"]).first()
        if site is None:
            raise CommandError(f"no site {opts['site']!r}; create it with townhall createsite")
        if opts["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        read = READERS[opts["format"]]
        with tqdm(unit="rec", desc="import", disable=opts["verbosity"] == 0) as bar:
            importer = Importer(site, opts["format"], progress=bar.update, batch=opts["batch"])
            failure = None
            try:
                importer.run(read(opts["file"], opts["story_key"], opts["base_url"]))
            except UnreadableFile as exc:
                failure = str(exc)
            except OSError as exc:
                failure = f"cannot read it ({exc.strerror or exc})"
        self._print(importer.report, opts["verbosity"])
        if failure:
            raise CommandError(
                f"stopped reading {opts['file']}: {failure}; "
                "what came before was imported, and a new run continues from there"
            )

    def _print(self, report: Report, verbosity: int) -> None:
        out = self.stdout
        out.write(
            f"imported {report.imported} comments, {report.authors} new authors, "
            f"{report.stories} new stories; skipped {len(report.skipped) + report.already}"
        )
        for reason, n in sorted(report.reasons().items(), key=lambda kv: -kv[1]):
            out.write(f"  {n:>7}  {reason}")
        if verbosity == 0:
            return
        for source_id, reason in report.skipped[:LISTED]:
            out.write(f"  skipped {source_id}: {reason}")
        if len(report.skipped) > LISTED:
            out.write(f"  … and {len(report.skipped) - LISTED} more")
        for source_id, note in report.notes[:LISTED]:
            out.write(f"  note {source_id}: {note}")
