"""Per-site word lists and the links policy.

Word lists match whole words (or whole phrases) on the normalised text, so a
banned ``idiot`` also catches ``1d10t``, ``i d i o t`` and ``idiooot``, while a
banned ``ass`` never fires on "assassin" or "class". Each rule returns a frozen
:class:`~townhall.moderation.types.Decision` or ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from townhall.moderation.normalise import (
    _SPACED,
    _TOKEN,
    Normalised,
    Vocabulary,
    _strip_edges,
    normalise,
)
from townhall.moderation.types import Decision, LinksPolicy, Reason

__all__ = ["WordList", "count_links", "find_links", "links_rule", "word_list"]

_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|io|co|ru|cn|xyz|top|ly"
    r"|me|tv|us|uk|de|fr|online|site|club|shop|app|link|click)\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)


_LINK_HINT = re.compile(
    r"https?://|www\.|\.(?:com|net|org|info|biz|io|co|ru|cn|xyz|top|ly|me|tv|us|uk|de|fr"
    r"|online|site|club|shop|app|link|click)\b",
    re.IGNORECASE,
)


class WordList:
    """A compiled site word list (banned or suspect words).

    ``find(norm)`` returns the ``[start, end)`` ranges, in original offsets, of
    every whole-word or whole-phrase occurrence, disguised spellings included.
    """

    def __init__(self, words: Sequence[str]) -> None:
        singles: list[str] = []
        phrases: list[str] = []
        for raw in words:
            word = normalise(raw.strip()).text.strip()
            if not word:
                continue
            (phrases if " " in word or not word.isalnum() else singles).append(word)
        self.singles: frozenset[str] = frozenset(singles)
        self.vocabulary = Vocabulary(singles) if singles else None
        self.phrase_re: re.Pattern[str] | None = None
        if phrases:
            alternatives = "|".join(
                r"\s+".join(re.escape(p) for p in phrase.split())
                for phrase in sorted(set(phrases), key=len, reverse=True)
            )
            self.phrase_re = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])")

    def __bool__(self) -> bool:
        return bool(self.singles) or self.phrase_re is not None

    def find(self, norm: Normalised) -> list[tuple[int, int]]:
        """Return original-text spans of every match in ``norm``, sorted."""
        found: set[tuple[int, int]] = set()
        text = norm.text
        if self.phrase_re is not None:
            for m in self.phrase_re.finditer(text):
                found.add(norm.to_original(*m.span()))
        vocab = self.vocabulary
        if vocab is not None:
            for start, end in norm.words():
                if text[start:end] in self.singles and not norm.is_name(start, end):
                    found.add(norm.to_original(start, end))
            # Disguises the built-in normaliser did not resolve for these words.
            for m in _TOKEN.finditer(text):
                s, e = _strip_edges(m.group())
                core = m.group()[s:e]
                if len(core) < 2 or core in self.singles:
                    continue
                hit = vocab.decode(core)
                if hit is not None:
                    found.add(norm.to_original(m.start() + s, m.start() + e))
            for m in _SPACED.finditer(text):
                letters = "".join(c for c in m.group() if c.isalnum() or c in "@$!*")
                if len(letters) >= 3 and vocab.decode(letters) is not None:
                    found.add(norm.to_original(*m.span()))
        return _drop_nested(sorted(found))


def _drop_nested(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


@lru_cache(maxsize=256)
def word_list(words: tuple[str, ...]) -> WordList:
    """Return the compiled :class:`WordList` for ``words`` (cached)."""
    return WordList(words)


def word_rule(
    norm: Normalised,
    words: tuple[str, ...],
    *,
    action: str,
    guideline: str,
    attribute: str,
) -> Decision | None:
    """Return a decision when any of ``words`` occurs in ``norm``, else None."""
    if not words:
        return None
    spans = word_list(words).find(norm)
    if not spans:
        return None
    reason = Reason(guideline, attribute, 1.0, tuple(spans))
    return Decision("reject" if action == "reject" else "hold", reason)


def find_links(text: str) -> list[tuple[int, int]]:
    """Return ``[start, end)`` ranges of URLs and bare domain names in ``text``."""
    if not _LINK_HINT.search(text):
        return []  # fast path: most comments have no link at all
    return [m.span() for m in _LINK.finditer(text)]


def count_links(text: str) -> int:
    """Return how many links ``text`` contains (URLs and bare domains)."""
    return len(find_links(text))


def links_rule(text: str, policy: LinksPolicy) -> Decision | None:
    """Hold a comment whose links break ``policy``; None when they do not.

    The reason is guideline ``spam``, attribute ``links``, with the number of
    links as its score and the links as spans.
    """
    links = find_links(text)
    if not links:
        return None
    too_many = policy.max_links is not None and len(links) > policy.max_links
    if policy.hold_any or too_many:
        return Decision("hold", Reason("spam", "links", float(len(links)), tuple(links)))
    return None
