"""The Markdown subset readers write in: paragraphs, emphasis, links and quotes.

markdown-it renders with raw HTML disabled, then nh3 (ammonia) sanitises the result
to a short allow-list, so nothing a reader types becomes markup we did not intend.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_TAGS = {"p", "br", "em", "strong", "a", "blockquote"}
_ATTRIBUTES = {"a": {"href"}}
_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"breaks": True, "html": False, "linkify": True})
    md.enable(["emphasis", "link", "blockquote", "linkify", "newline", "escape"])
    return md


def render(body: str) -> str:
    """Return sanitised HTML for a comment body. Never raises on any input."""
    # A lone surrogate cannot cross into nh3 (Rust, UTF-8): make it U+FFFD first.
    body = body.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    html = _parser().render(body)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow ugc noopener",
    ).strip()
