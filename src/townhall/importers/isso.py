"""Isso's SQLite database: ``threads`` (uri, title) and ``comments`` (mode 1 accepted,
2 pending, 4 deleted; text is Markdown already)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from urllib.parse import urljoin

from townhall.comments.models import Status
from townhall.importers.records import (
    BadRecord,
    Broken,
    Record,
    SourceAuthor,
    SourceComment,
    SourceStory,
    author_key,
    from_epoch,
    web_url,
)
from townhall.importers.xmlstream import UnreadableFile

MODES = {1: Status.PUBLISHED, 2: Status.PENDING, 4: Status.DELETED}

_QUERY = """
    SELECT c.id, c.parent, c.created, c.modified, c.mode, c.text, c.author, c.email,
           t.uri, t.title
    FROM comments AS c LEFT JOIN threads AS t ON t.id = c.tid
    ORDER BY c.id
"""


def _connect(path: str) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise UnreadableFile(f"not an SQLite database ({exc})") from None
    if not {"comments", "threads"} <= tables:
        db.close()
        raise UnreadableFile("not an Isso database: no comments and threads tables")
    return db


def read(path: str, story_key: str = "id", base_url: str = "") -> Iterator[Record]:
    """Isso keeps only the page's path; ``base_url`` makes it a link again."""
    db = _connect(path)
    try:
        for row in db.execute(_QUERY):
            yield _comment(row, story_key, base_url)
    except sqlite3.DatabaseError as exc:
        raise UnreadableFile(f"the Isso database cannot be read ({exc})") from None
    finally:
        db.close()


def _comment(row: tuple, story_key: str, base_url: str) -> Record:
    cid, parent, created, modified, mode, text, author, email, uri, title = row
    try:
        if uri is None:
            raise BadRecord("its thread is not in the database")
        status = MODES.get(mode)
        if status is None:
            raise BadRecord(f"unknown mode {mode!r}")
        email = (email or "").strip()
        url = web_url(urljoin(base_url, uri)) if base_url else web_url(uri)
        return SourceComment(
            id=str(cid),
            story=SourceStory(
                key=url if story_key == "url" and url else uri, url=url, title=title or ""
            ),
            parent_id=str(parent) if parent is not None else None,
            body=(text or "").replace("\r\n", "\n").strip(),
            created_at=from_epoch(created),
            edited_at=from_epoch(modified) if modified else None,
            status=status,
            author=SourceAuthor(key=author_key(None, email), name=author or "", email=email),
        )
    except BadRecord as exc:
        return Broken(str(cid), str(exc))
