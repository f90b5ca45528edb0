"""What "safe comment HTML" means, as one checker the property tests and the XSS corpus share.

The checker parses the HTML and fails on anything but the allow-list of the
Markdown subset: ``p br em strong a blockquote``; ``a`` with an ``href`` of an
allowed scheme (or a relative one) and ``rel="nofollow ugc noopener"``; no other
attribute at all; no raw ``<script``, no ``on*=`` handler, no ``javascript:``,
``data:`` or ``vbscript:`` link however it is spelled.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "blockquote"}
VOID_TAGS = {"br"}
REL = "nofollow ugc noopener"
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
# Browsers drop these from a URL before they look at its scheme.
_URL_JUNK = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]+")
_TAG = re.compile(r"<[a-zA-Z/!?](?:\"[^\"]*\"|'[^']*'|[^'\">])*>")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_HANDLER = re.compile(r"[\s/]on[a-z]+\s*=", re.IGNORECASE)


class UnsafeHtml(AssertionError):
    """The HTML has something the Markdown subset never makes."""


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_tag(tag, attrs)
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_tag(tag, attrs)
        if tag not in VOID_TAGS:
            self.problems.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment <!--{data[:40]}-->")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration <!{decl[:40]}>")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction <?{data[:40]}>")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"unknown declaration {data[:40]}")

    def _check_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"<{tag}> repeats an attribute: {names}")
        for name, _value in attrs:
            if name.startswith("on"):
                self.problems.append(f"handler {name}= on <{tag}>")
            if tag != "a" or name not in ("href", "rel"):
                self.problems.append(f"attribute {name}= on <{tag}>")
        if tag == "a":
            values = dict(attrs)
            if values.get("rel") != REL:
                self.problems.append(f"<a> with rel={values.get('rel')!r}")
            href = values.get("href")
            if href is not None and unsafe_url(href):
                self.problems.append(f"<a href={href!r}>")


def unsafe_url(url: str) -> bool:
    """Whether a (decoded) href would run script or carry inline content in a browser."""
    squeezed = _URL_JUNK.sub("", html.unescape(url)).lower()
    return squeezed.startswith(BAD_SCHEMES)


def check_safe_html(out: str) -> None:
    """Raise UnsafeHtml unless ``out`` is what the Markdown subset may produce."""
    if not isinstance(out, str):
        raise UnsafeHtml(f"not a string: {type(out).__name__}")
    problems = []
    lowered = out.lower()
    if "<script" in lowered:
        problems.append("raw <script")
    for tag in _TAG.findall(out):
        if _HANDLER.search(_QUOTED.sub('""', tag)):
            problems.append(f"an on*= handler in {tag[:80]!r}")
        squeezed = _URL_JUNK.sub("", html.unescape(tag)).lower()
        for scheme in BAD_SCHEMES:
            if any(f"={q}{scheme}" in squeezed for q in ('"', "'", "")):
                problems.append(f"a {scheme} URL in {tag[:80]!r}")
    checker = _Checker()
    checker.feed(out)
    checker.close()
    problems += checker.problems
    if checker.stack:
        problems.append(f"unclosed {checker.stack}")
    if problems:
        raise UnsafeHtml(f"{problems} in {out[:500]!r}")
