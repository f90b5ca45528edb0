"""Coral's data as its MongoDB collections are dumped: ``stories``, ``users`` and
``comments`` documents, one JSON document a line (``mongoexport``), or a JSON array.

FILE is one such file holding any mix of the three, or a folder holding
``stories.json``, ``users.json`` and ``comments.json``. Stories and users are read
first (they are few); comments then stream one at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

from townhall.comments.models import Status
from townhall.importers.records import (
    BadRecord,
    Broken,
    Record,
    SourceAuthor,
    SourceComment,
    SourceStory,
    author_key,
    html_to_text,
    parse_time,
    web_url,
)
from townhall.importers.xmlstream import UnreadableFile

# PUBLISHED_STATUSES in Coral are NONE and APPROVED.
STATUSES = {
    "NONE": Status.PUBLISHED,
    "APPROVED": Status.PUBLISHED,
    "PREMOD": Status.PENDING,
    "SYSTEM_WITHHELD": Status.PENDING,
    "REJECTED": Status.REJECTED,
}


def _files(path: str) -> list[Path]:
    where = Path(path)
    if not where.is_dir():
        return [where]
    found = [
        where / f"{name}.{ext}"
        for name in ("stories", "users", "comments")
        for ext in ("json", "jsonl")
        if (where / f"{name}.{ext}").is_file()
    ]
    if not found:
        raise UnreadableFile("the folder holds no stories.json, users.json or comments.json")
    return found


def _documents(files: list[Path]) -> Iterator[tuple[str, Any]]:
    """(where, document) for every document; a line that is not JSON comes as (where, None)."""
    for file in files:
        try:
            with file.open(encoding="utf-8") as lines:
                first = lines.read(1)
                while first.isspace():
                    first = lines.read(1)
                if first not in ("[", "{", ""):
                    raise UnreadableFile(f"{file.name} is not JSON")
                if first == "[":
                    # A JSON array is read whole: Coral's own dumps are JSON lines.
                    for n, doc in enumerate(json.loads(first + lines.read())):
                        yield f"{file.name}[{n}]", doc
                    continue
                for n, line in enumerate(chain([first + lines.readline()], lines), start=1):
                    if not line.strip():
                        continue
                    try:
                        yield f"{file.name}:{n}", json.loads(line)
                    except json.JSONDecodeError:
                        yield f"{file.name}:{n}", None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UnreadableFile(f"{file.name} cannot be read ({exc})") from None


def _kind(doc: dict[str, Any]) -> str:
    if "storyID" in doc or "revisions" in doc:
        return "comment"
    if "url" in doc and ("metadata" in doc or "siteID" in doc):
        return "story"
    if "username" in doc or "role" in doc or "email" in doc:
        return "user"
    return ""


def read(path: str, story_key: str = "id", base_url: str = "") -> Iterator[Record]:
    files = _files(path)
    stories: dict[str, SourceStory] = {}
    users: dict[str, SourceAuthor] = {}
    for _, doc in _documents(files):
        if not isinstance(doc, dict) or "id" not in doc:
            continue
        kind = _kind(doc)
        if kind == "story":
            stories[str(doc["id"])] = _story(doc, story_key)
        elif kind == "user":
            email = str(doc.get("email") or "")
            users[str(doc["id"])] = SourceAuthor(
                key=author_key(str(doc["id"]), email),
                name=str(doc.get("username") or ""),
                email=email,
            )
    for where, doc in _documents(files):
        if not isinstance(doc, dict):
            yield Broken(where, "not a JSON object")
        elif _kind(doc) == "comment":
            yield _comment(where, doc, stories, users)


def _time(value: Any) -> datetime:
    """Coral dates: ISO strings, or mongoexport's ``{"$date": …}`` in its forms."""
    if isinstance(value, dict) and "$date" in value:
        value = value["$date"]
        if isinstance(value, dict):
            value = int(value.get("$numberLong", 0))
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        return parse_time(value)
    raise BadRecord(f"unreadable date {value!r:.40}")


def _story(doc: dict[str, Any], story_key: str) -> SourceStory:
    url = str(doc.get("url") or "")
    meta = doc.get("metadata") or {}
    try:
        created = _time(doc.get("createdAt"))
    except BadRecord:
        created = None
    closed_at = doc.get("closedAt")
    try:
        closed = closed_at is not None and _time(closed_at) <= datetime.now(tz=UTC)
    except BadRecord:
        closed = False
    return SourceStory(
        key=(url or str(doc["id"])) if story_key == "url" else str(doc["id"]),
        url=web_url(url),
        title=str(meta.get("title") or "") if isinstance(meta, dict) else "",
        closed=closed or bool(doc.get("isClosed")),
        created_at=created,
    )


def _comment(
    where: str,
    doc: dict[str, Any],
    stories: dict[str, SourceStory],
    users: dict[str, SourceAuthor],
) -> Record:
    cid = str(doc.get("id") or "")
    if not cid:
        return Broken(where, "the comment has no id")
    try:
        story = stories.get(str(doc.get("storyID")))
        if story is None:
            raise BadRecord(f"its story {doc.get('storyID')!r} is not in the file")
        revisions = doc.get("revisions") or []
        if not isinstance(revisions, list):
            raise BadRecord("revisions is not a list")
        current = revisions[-1] if revisions else {}
        body = current.get("body") if isinstance(current, dict) else None
        if body is None:
            body = doc.get("body")
        if not isinstance(body, str):
            raise BadRecord("the comment has no body")
        raw_status = str(doc.get("status") or "NONE")
        status = STATUSES.get(raw_status)
        if status is None:
            raise BadRecord(f"unknown status {raw_status[:30]!r}")
        if doc.get("deletedAt"):
            status = Status.DELETED
        author_id = doc.get("authorID")
        author = users.get(str(author_id)) if author_id else None
        edited = _time(current["createdAt"]) if len(revisions) > 1 else None
        return SourceComment(
            id=cid,
            story=story,
            parent_id=str(doc["parentID"]) if doc.get("parentID") else None,
            body=html_to_text(body),
            created_at=_time(doc.get("createdAt")),
            edited_at=edited,
            status=status,
            author=author or SourceAuthor(key=None),
        )
    except (BadRecord, KeyError, TypeError, ValueError) as exc:
        return Broken(cid, str(exc) if isinstance(exc, BadRecord) else f"malformed: {exc!r}")
