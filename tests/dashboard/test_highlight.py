"""Marking offensive words safely."""

from __future__ import annotations

import pytest

from townhall.dashboard.highlight import highlight, merge_spans, reason_spans


@pytest.mark.parametrize(
    ("spans", "length", "merged"),
    [
        ([[0, 3]], 10, [(0, 3)]),
        ([[5, 8], [0, 3]], 10, [(0, 3), (5, 8)]),
        ([[0, 4], [2, 6], [6, 7]], 10, [(0, 7)]),
        ([[-3, 2], [8, 99]], 10, [(0, 2), (8, 10)]),
        ([[4, 4], [6, 2], ["a", 3], [1], None], 10, []),
    ],
)
def test_merge_spans(spans, length, merged):
    assert merge_spans(spans, length) == merged


def test_highlight_escapes_every_piece():
    assert (
        highlight('<a href="x">go</a> & more', [[12, 14]])
        == "&lt;a href=&quot;x&quot;&gt;<mark>go</mark>&lt;/a&gt; &amp; more"
    )


def test_highlight_counts_characters_not_bytes():
    body = "Zoë is a 🤡 clown"
    assert highlight(body, [[9, 10]]) == "Zoë is a <mark>🤡</mark> clown"


def test_reason_spans_gathers_every_reasons_spans():
    reasons = [
        {"guideline": "nice", "spans": [[0, 2]]},
        {"guideline": "proactive", "spans": []},
        {"guideline": "spam"},
        "not a reason",
        {"spans": "not a list"},
        {"spans": [[5, 6], "bad"]},
    ]
    assert reason_spans(reasons) == [[0, 2], [5, 6]]
