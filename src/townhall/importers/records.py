"""The shape every source format is read into, and the small conversions they share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser


@dataclass(frozen=True)
class SourceStory:
    key: str
    url: str = ""
    title: str = ""
    closed: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True)
class SourceAuthor:
    """Who wrote a comment. ``key`` is None for a guest with no identity to keep."""

    key: str | None
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class SourceComment:
    id: str
    story: SourceStory
    body: str  # Markdown-lite, as our readers write it
    created_at: datetime
    status: str  # one of comments.models.Status
    author: SourceAuthor
    parent_id: str | None = None
    edited_at: datetime | None = None
    spam: bool = False


@dataclass(frozen=True)
class Broken:
    """A record the reader could not make sense of; reported, never fatal."""

    id: str
    reason: str


Record = SourceComment | Broken


class BadRecord(ValueError):
    """Raised inside a reader for one record; becomes a ``Broken``."""


def parse_time(raw: str | None) -> datetime:
    """An ISO 8601 or ``YYYY-MM-DD HH:MM:SS`` time, read as UTC when it names no zone.

    Raises:
        BadRecord: empty or unreadable.
    """
    raw = (raw or "").strip()
    if not raw or raw.startswith("0000-00-00"):
        raise BadRecord("no date")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRecord(f"unreadable date {raw[:40]!r}") from None
    try:
        # In UTC here, as the database will store it: a time at the edge of the
        # calendar that has no UTC equivalent is this record's problem, not the run's.
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise BadRecord(f"date out of range {raw[:40]!r}") from None


def from_epoch(value: float | int | str | None) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        raise BadRecord(f"unreadable timestamp {value!r}") from None


def author_key(user_id: str | None, email: str) -> str | None:
    """How one person is recognised across their comments: the source's user id, else email."""
    if user_id:
        return f"user:{user_id}"
    if email:
        return f"email:{email.strip().lower()}"
    return None


def web_url(raw: str | None) -> str:
    """Only http(s) URLs become a story's link: it is every permalink's href."""
    url = (raw or "").strip()
    return url[:1000] if url.lower().startswith(("http://", "https://")) else ""


def truthy(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("true", "1", "yes")


class _ToMarkdown(HTMLParser):
    """Turn the little HTML comment systems store into the Markdown-lite we store."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag in ("p", "div", "blockquote"):
            self.out.append("\n\n")
        elif tag in ("b", "strong"):
            self.out.append("**")
        elif tag in ("i", "em"):
            self.out.append("*")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div", "blockquote"):
            self.out.append("\n\n")
        elif tag in ("b", "strong"):
            self.out.append("**")
        elif tag in ("i", "em"):
            self.out.append("*")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.out[start:]).strip()
            del self.out[start:]
            if web_url(href) and text and text != href:
                self.out.append(f"[{text.replace(']', ')')}]({href})")
            else:
                self.out.append(text or web_url(href))

    def handle_data(self, data: str) -> None:
        self.out.append(data)


_BLANK_LINES = re.compile(r"\n[ \t]*\n(\s*\n)*")


def html_to_text(html: str | None) -> str:
    """Markdown-lite for an HTML comment body; plain text passes through unchanged."""
    html = (html or "").replace("\r\n", "\n").replace("\x00", "")
    if "<" not in html:
        return unescape(html).strip()
    parser = _ToMarkdown()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    return _BLANK_LINES.sub("\n\n", text).strip()
