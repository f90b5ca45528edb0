"""Mark the words the engine judged offensive, escaping everything else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def merge_spans(spans: Iterable[Sequence[Any]], length: int) -> list[tuple[int, int]]:
    """Clamp ``[start, end)`` spans to ``0..length``; drop empty or malformed ones; merge."""
    clean: list[tuple[int, int]] = []
    for span in spans:
        try:
            start, end = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            continue
        start, end = max(0, start), min(length, end)
        if start < end:
            clean.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(clean):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def reason_spans(reasons: Iterable[dict[str, Any]]) -> list[Sequence[Any]]:
    """Every span of every reason (reasons without spans contribute none)."""
    out: list[Sequence[Any]] = []
    for reason in reasons or []:
        spans = reason.get("spans") if isinstance(reason, dict) else None
        if isinstance(spans, list):
            out.extend(s for s in spans if isinstance(s, (list, tuple)))
    return out


def highlight(body: str, spans: Iterable[Sequence[Any]]) -> SafeString:
    """The raw ``body`` as HTML, each span wrapped in ``<mark>``; all text escaped.

    Spans are character offsets into ``body`` (Python string indices), so slicing
    before escaping keeps them exact.
    """
    parts: list[str] = []
    pos = 0
    for start, end in merge_spans(spans, len(body)):
        parts.append(escape(body[pos:start]))
        parts.append(f"<mark>{escape(body[start:end])}</mark>")
        pos = end
    parts.append(escape(body[pos:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above
