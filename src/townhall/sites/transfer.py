"""Export and restore everything, as JSON lines (Django's ``jsonl`` serialisation).

One object per line, in dependency order, so an export can be read as a stream,
checked with ordinary tools, and restored exactly — same ids, same timestamps —
into an empty database.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model

# Parents before children, so a restore never meets a reference it has not seen.
MODELS = [
    "sites.Site",
    "sites.Story",
    "accounts.User",
    "accounts.Membership",
    "accounts.SsoIdentity",
    "accounts.ApiToken",
    "accounts.Mute",
    "accounts.IpSighting",
    "comments.Comment",
    "comments.CommentRevision",
    "comments.Reaction",
    "importers.ImportedRecord",
    "reports.Report",
    "review.DebunkedClaim",
    "review.AuditEntry",
    "review.Tip",
    "review.Appeal",
    "notifications.Preferences",
    "notifications.Notice",
    "webhooks.Endpoint",
    "webhooks.Event",
    "webhooks.Delivery",
    "webhooks.Attempt",
]
BATCH = 2000


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder, but keeping whole microseconds.

    Django cuts times to milliseconds, so a restored comment would come back a
    few hundred microseconds younger than it was, and re-exporting would differ.
    """

    def default(self, o: Any) -> Any:
        if isinstance(o, (datetime.datetime, datetime.time)):
            return o.isoformat()
        return super().default(o)


def _models() -> list[type[Model]]:
    return [apps.get_model(label) for label in MODELS]


def count() -> int:
    return sum(m._default_manager.count() for m in _models())


def export(out: IO[str], progress: Callable[[int], None] | None = None) -> int:
    """Write every object as one JSON line; return how many were written."""
    written = 0
    for model in _models():
        rows = model._default_manager.order_by("pk")
        if model._meta.label == "comments.Comment":
            rows = rows.order_by("depth", "pk")  # a reply never comes before its parent
        for start in range(0, 1 << 62, BATCH):
            chunk = list(rows[start : start + BATCH])
            if not chunk:
                break
            serializers.serialize("jsonl", chunk, stream=out, cls=ExactEncoder)
            written += len(chunk)
            if progress:
                progress(len(chunk))
    return written


class NotEmpty(Exception):
    """Restoring over existing data would mix two installs."""


def restore(lines: IO[str], progress: Callable[[int], None] | None = None) -> int:
    """Restore an export into an empty database; return how many objects were saved.

    Raises:
        NotEmpty: the database already holds sites or accounts.
        django.core.serializers.base.DeserializationError: a line is not an export line.
    """
    if count():
        raise NotEmpty("the database is not empty; restore into a new one")
    saved = 0
    with transaction.atomic():
        for obj in _objects(lines):
            obj.save()
            saved += 1
            if progress and saved % 500 == 0:
                progress(500)
        _reset_sequences()
    if progress:
        progress(saved % 500)
    return saved


def _objects(lines: IO[str]) -> Iterator[serializers.base.DeserializedObject]:
    for line in lines:
        if line.strip():
            yield from serializers.deserialize("jsonl", line, ignorenonexistent=False)


def _reset_sequences() -> None:
    # Restored rows keep their ids; PostgreSQL's id sequences must move past them.
    statements = connection.ops.sequence_reset_sql(no_style(), _models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
