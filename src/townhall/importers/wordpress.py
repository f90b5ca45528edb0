"""WordPress's WXR export: RSS ``<item>`` elements (posts, pages) holding ``<wp:comment>``s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
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
    web_url,
)
from townhall.importers.xmlstream import child_text

# comment_approved: "1", "0", "spam", "trash", "post-trashed".
STATUSES = {
    "1": Status.PUBLISHED,
    "approve": Status.PUBLISHED,
    "0": Status.PENDING,
    "hold": Status.PENDING,
    "spam": Status.REJECTED,
    "trash": Status.DELETED,
    "post-trashed": Status.DELETED,
}


def read(path: str, story_key: str = "id", base_url: str = "") -> Iterator[Record]:
    for item in xmlstream.records(path, depth=2):
        if xmlstream.local(item.tag) != "item":
            continue
        comments = [c for c in item if xmlstream.local(c.tag) == "comment"]
        if not comments:
            continue
        story = _story(item, story_key)
        for comment in comments:
            yield _comment(comment, story)


def _story(item: Element, story_key: str) -> SourceStory:
    link = child_text(item, "link")
    post_id = child_text(item, "post_id")
    try:
        created = parse_time(child_text(item, "post_date_gmt"))
    except BadRecord:
        created = None
    return SourceStory(
        key=(link or post_id) if story_key == "url" else (post_id or link),
        url=web_url(link),
        title=child_text(item, "title"),
        closed=child_text(item, "comment_status") == "closed",
        created_at=created,
    )


def _when(elem: Element) -> datetime:
    try:
        return parse_time(child_text(elem, "comment_date_gmt"))
    except BadRecord:
        # Sites that never set the GMT column: the local time is the best there is.
        return parse_time(child_text(elem, "comment_date"))


def _comment(elem: Element, story: SourceStory) -> Record:
    comment_id = child_text(elem, "comment_id")
    if not comment_id:
        return Broken("(no id)", "the comment has no wp:comment_id")
    kind = child_text(elem, "comment_type")
    if kind in ("pingback", "trackback"):
        return Broken(comment_id, f"a {kind}, not a reader's comment")
    try:
        if not story.key:
            raise BadRecord("its post has neither wp:post_id nor link")
        approved = child_text(elem, "comment_approved")
        status = STATUSES.get(approved)
        if status is None:
            raise BadRecord(f"unknown comment_approved {approved[:20]!r}")
        parent = child_text(elem, "comment_parent")
        user_id = child_text(elem, "comment_user_id")
        email = child_text(elem, "comment_author_email")
        return SourceComment(
            id=comment_id,
            story=story,
            parent_id=parent if parent not in ("", "0") else None,
            body=html_to_text(child_text(elem, "comment_content")),
            created_at=_when(elem),
            status=status,
            spam=approved == "spam",
            author=SourceAuthor(
                key=author_key(user_id if user_id not in ("", "0") else None, email),
                name=child_text(elem, "comment_author"),
                email=email,
            ),
        )
    except BadRecord as exc:
        return Broken(comment_id, str(exc))
