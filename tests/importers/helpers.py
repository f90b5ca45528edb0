"""Running ``townhall import`` on the fixture files, and reading back what it saved."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from django.core.management import call_command

from townhall.comments.models import Comment, Status
from townhall.importers.models import ImportedRecord, Kind
from townhall.sites.models import Story

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_file(fmt: str, tmp_path: Path) -> Path:
    """The fixture for ``fmt``; Isso's is built from its SQL, as Isso would have written it."""
    if fmt == "isso":
        db = tmp_path / "comments.db"
        with sqlite3.connect(db) as conn:
            conn.executescript((FIXTURES / "isso.sql").read_text())
        conn.close()
        return db
    return (
        FIXTURES
        / {"disqus": "disqus.xml", "wordpress": "wordpress.xml", "coral": "coral.jsonl"}[fmt]
    )


def run_import(fmt: str, path: Path, *extra: str, site: str = "gazette") -> str:
    out = io.StringIO()
    call_command("import", fmt, str(path), "--site", site, *extra, stdout=out, verbosity=1)
    return out.getvalue()


def imported(fmt: str) -> dict[str, Comment]:
    """Source id → the comment it became."""
    rows = ImportedRecord.objects.filter(source=fmt, kind=Kind.COMMENT).select_related(
        "comment__author__user", "comment__story", "comment__parent"
    )
    return {r.source_id: r.comment for r in rows}


def assert_counts_exact() -> None:
    for story in Story.objects.all():
        published = Comment.objects.filter(story=story, status=Status.PUBLISHED).count()
        assert story.comment_count == published, story.key


def synthetic_disqus(path: Path, posts: int, threads: int = 40) -> dict[str, str | None]:
    """A Disqus export of ``posts`` posts; returns each post's parent (None on top).

    Every fifth post replies to the one before it, and every seventh reply is
    written before its parent, as real exports sometimes are.
    """
    parents: dict[str, str | None] = {}
    chunks = [
        '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n'
    ]
    for t in range(threads):
        chunks.append(
            f'<thread dsq:id="t{t}"><id>story-{t}</id>'
            f"<link>https://gazette.example/news/{t}</link><title>Story {t}</title></thread>\n"
        )
    posts_xml: list[str] = []
    for p in range(posts):
        thread = (p // 5) % threads  # a reply stays in its parent's thread
        parent = f"p{p - 1}" if p % 5 == 4 else None
        parents[f"p{p}"] = parent
        author = (
            f"<author><name>Reader {p % 97}</name><email>r{p % 97}@example.org</email>"
            f"<username>r{p % 97}</username></author>"
            if p % 3
            else "<author><name>Passer-by</name></author>"
        )
        posts_xml.append(
            f'<post dsq:id="p{p}"><message><![CDATA[<p>Comment {p}</p>]]></message>'
            f"<createdAt>2020-01-01T00:00:00Z</createdAt>"
            f"<isSpam>{'true' if p % 11 == 0 else 'false'}</isSpam>{author}"
            f'<thread dsq:id="t{thread}" />'
            + (f'<parent dsq:id="{parent}" />' if parent else "")
            + "</post>\n"
        )
        if parent and p % 7 == 0:
            posts_xml[-1], posts_xml[-2] = posts_xml[-2], posts_xml[-1]
    path.write_text("".join(chunks + posts_xml) + "</disqus>\n")
    return parents
