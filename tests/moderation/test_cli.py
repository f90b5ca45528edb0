"""``townhall moderate`` as a plain function and as a subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from townhall.moderation import ATTRIBUTES, Policy
from townhall.moderation.cli import moderate

REPO = Path(__file__).resolve().parents[2]


def _run(lines: list[str], **kw) -> list[dict]:
    out = io.StringIO()
    moderate(io.StringIO("\n".join(lines) + "\n"), out, **kw)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_writes_one_line_per_input_in_order() -> None:
    lines = [
        json.dumps({"id": 1, "text": "Thanks, a useful article about the library."}),
        json.dumps({"id": "b", "text": "You are a fucking idiot."}),
        json.dumps({"id": 3, "text": "ｆｕｃｋ you"}),
    ]
    out = _run(lines, batch_size=2)
    assert [o["id"] for o in out] == [1, "b", 3]
    assert out[0]["decision"] == "published"
    assert out[1]["decision"] in ("pending", "rejected")
    for o in out:
        assert set(o) == {"id", "decision", "scores", "reasons", "spans"}
        assert set(o["scores"]) == set(ATTRIBUTES)
    start, end = out[2]["spans"][0]
    assert "ｆｕｃｋ you"[start:end] == "ｆｕｃｋ"


@pytest.mark.parametrize(
    ("line", "expected_id"),
    [
        ("not json", None),
        ("[1, 2]", None),
        ('{"id": 7}', 7),
        ('{"id": 8, "text": 5}', 8),
        ('{"id": {"x": 1}}', None),
    ],
)
def test_a_malformed_line_gives_an_error_line_and_the_rest_go_on(line: str, expected_id) -> None:
    out = _run([line, json.dumps({"id": "next", "text": "hello"})])
    assert out[0]["id"] == expected_id
    assert out[0]["error"]
    assert "decision" not in out[0]
    assert out[1]["id"] == "next"
    assert out[1]["decision"] == "published"


def test_blank_lines_are_skipped_and_policy_is_used() -> None:
    line = json.dumps({"id": 1, "text": "The lizardman mayor"})
    out = _run(["", line, "   "], policy=Policy(banned_words=("lizardman",)))
    assert len(out) == 1
    assert out[0]["decision"] == "rejected"
    assert out[0]["reasons"][0]["attribute"] == "banned_word"


def test_the_management_command_runs_without_a_database() -> None:
    commands = REPO / "src" / "townhall" / "review" / "management" / "commands"
    if not (commands / "__init__.py").exists():
        pytest.skip("the review app's management package is not set up yet")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "townhall.settings"}
    env["DATABASE_URL"] = "sqlite:////nonexistent/dir/db.sqlite3"
    stdin = "\n".join(
        [
            json.dumps({"id": 1, "text": "Thanks, a useful article about the library."}),
            "garbage",
            json.dumps({"id": 2, "text": "sh1t"}),
        ]
    )
    proc = subprocess.run(
        [sys.executable, "-m", "django", "moderate"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o.get("id") for o in out] == [1, None, 2]
    assert out[0]["decision"] == "published"
    assert "error" in out[1]


def test_first_tier_only_skips_the_sentence_model_and_still_judges() -> None:
    lines = [
        json.dumps({"id": 1, "text": "Thanks, a useful article about the library."}),
        json.dumps({"id": 2, "text": "You are a fucking idiot."}),
    ]
    both = _run(lines)
    fast = _run(lines, second_tier=False)
    # Without the sentence model the scores are the linear model's alone, and the
    # plain cases are judged the same way.
    assert fast[0]["scores"] != both[0]["scores"]
    assert [o["decision"] for o in fast] == [o["decision"] for o in both]
    assert fast[0]["decision"] == "published"
    assert fast[1]["decision"] in ("pending", "rejected")
