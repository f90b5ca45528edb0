"""Disqus's XML export: ``<thread>`` elements, then ``<post>`` elements that name
their thread and parent by ``dsq:id``."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element

from townhall.comments.models import Status
from townhall.importers import xmlstream
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
    truthy,
    web_url,
)
from townhall.importers.xmlstream import child_text, children, text_of

DSQ_ID = "{http://disqus.com/disqus-internals}id"


def read(path: str, story_key: str = "id", base_url: str = "") -> Iterator[Record]:
    threads: dict[str, SourceStory] = {}
    for elem in xmlstream.records(path, depth=1):
        kind = xmlstream.local(elem.tag)
        if kind == "thread":
            ref = elem.get(DSQ_ID, "")
            if ref:
                threads[ref] = _thread(elem, story_key)
        elif kind == "post":
            yield _post(elem, threads)


def _thread(elem: Element, story_key: str) -> SourceStory:
    identifier = child_text(elem, "id")
    link = child_text(elem, "link")
    key = (link or identifier) if story_key == "url" else (identifier or link)
    try:
        created = parse_time(child_text(elem, "createdAt"))
    except BadRecord:
        created = None
    return SourceStory(
        key=key,
        url=web_url(link),
        title=child_text(elem, "title"),
        closed=truthy(child_text(elem, "isClosed")),
        created_at=created,
    )


def _post(elem: Element, threads: dict[str, SourceStory]) -> Record:
    post_id = elem.get(DSQ_ID, "")
    kids = children(elem)
    if not post_id:
        return Broken(text_of(kids, "id") or "(no id)", "the post has no dsq:id")
    try:
        thread = kids.get("thread")
        ref = thread.get(DSQ_ID, "") if thread is not None else ""
        story = threads.get(ref)
        if story is None or not story.key:
            raise BadRecord(f"its thread {ref or '(none)'} is not in the file")
        parent = kids.get("parent")
        author = kids.get("author")
        name = email = username = ""
        if author is not None:
            who = children(author)
            name = text_of(who, "name")
            email = text_of(who, "email")
            username = text_of(who, "username")
        spam = truthy(text_of(kids, "isSpam"))
        if truthy(text_of(kids, "isDeleted")):
            status = Status.DELETED
        elif spam:
            status = Status.REJECTED
        elif text_of(kids, "isApproved").lower() == "false":
            status = Status.PENDING
        else:
            status = Status.PUBLISHED
        return SourceComment(
            id=post_id,
            story=story,
            parent_id=(parent.get(DSQ_ID) or None) if parent is not None else None,
            body=html_to_text(text_of(kids, "message")),
            created_at=parse_time(text_of(kids, "createdAt")),
            status=status,
            spam=spam,
            author=SourceAuthor(
                key=author_key(username, email), name=name or username, email=email
            ),
        )
    except BadRecord as exc:
        return Broken(post_id, str(exc))
