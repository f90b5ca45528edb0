"""``townhall moderate`` as a plain function and as a subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from townhall.moderation import ATTRIBUTES, Policy
from townhall.moderation.cli import moderate


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


def _command(*args: str, stdin: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "townhall.settings"}
    env["DATABASE_URL"] = "sqlite:////nonexistent/dir/db.sqlite3"
    return subprocess.run(
        [sys.executable, "-m", "django", "moderate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_management_command_runs_without_a_database() -> None:
    stdin = "\n".join(
        [
            json.dumps({"id": 1, "text": "Thanks, a useful article about the library."}),
            "garbage",
            json.dumps({"id": 2, "text": "sh1t"}),
        ]
    )
    proc = _command(stdin=stdin)
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


def _mixed_lines(n: int) -> list[str]:
    texts = [
        "Thanks, a useful article about the library.",
        "You are a fucking idiot.",
        "The lizardman mayor",
        "I will find you and hurt you.",
        "Check out my channel http://example.com for free stuff!!!",
    ]
    lines = [json.dumps({"id": i, "text": texts[i % len(texts)] + f" ({i})"}) for i in range(n)]
    for i, bad in ((7, "not json"), (11, '{"id": 11}')):
        if i < n:
            lines[i] = bad
    return lines


def test_workers_write_what_one_process_writes_in_the_same_order() -> None:
    lines = _mixed_lines(40)
    policy = Policy(banned_words=("lizardman",))
    one = io.StringIO()
    errors_one = moderate(io.StringIO("\n".join(lines)), one, policy=policy, batch_size=3)
    two = io.StringIO()
    errors_two = moderate(
        io.StringIO("\n".join(lines)), two, policy=policy, batch_size=3, workers=2
    )
    assert errors_one == errors_two == 2
    assert two.getvalue() == one.getvalue()
    out = [json.loads(line) for line in two.getvalue().splitlines()]
    assert [o.get("id") for o in out] == [None if i == 7 else i for i in range(40)]
    # The site's policy reached the worker processes.
    assert out[2]["decision"] == "rejected"
    assert out[2]["reasons"][0]["attribute"] == "banned_word"


class _CountingInput:
    """Lines on demand, counting how many have been read."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.read = 0

    def __iter__(self):
        for line in self.lines:
            self.read += 1
            yield line


class _RecordingOutput(io.StringIO):
    def __init__(self, source: _CountingInput) -> None:
        super().__init__()
        self.source = source
        self.read_at_write: list[int] = []

    def write(self, text: str) -> int:
        self.read_at_write.append(self.source.read)
        return super().write(text)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_long_input_is_not_read_far_ahead_of_the_output(workers: int) -> None:
    source = _CountingInput(_mixed_lines(200))
    out = _RecordingOutput(source)
    moderate(source, out, batch_size=4, workers=workers)
    assert len(out.getvalue().splitlines()) == 200
    # Output starts long before the input ends: at most two batches per worker
    # (and the one being read) are held.
    assert len(out.read_at_write) == 50
    for k, read in enumerate(out.read_at_write):
        assert read <= 4 * (k + 2 * workers + 1), (k, read)


def test_progress_counts_the_lines_judged() -> None:
    progress = io.StringIO()
    moderate(io.StringIO("\n".join(_mixed_lines(10))), io.StringIO(), progress=progress)
    assert "moderate" in progress.getvalue()
    assert "10 comments" in progress.getvalue()


@pytest.mark.parametrize("option", [{"workers": 0}, {"batch_size": 0}])
def test_nonsense_sizes_are_refused(option: dict) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        moderate(io.StringIO(""), io.StringIO(), **option)


def test_the_command_judges_in_worker_processes_and_shows_progress() -> None:
    proc = _command(
        "--workers", "2", "--batch-size", "5", "--progress", stdin="\n".join(_mixed_lines(30))
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o.get("id") for o in out] == [None if i == 7 else i for i in range(30)]
    assert "30 comments" in proc.stderr


def test_the_command_refuses_zero_workers() -> None:
    proc = _command("--workers", "0", stdin="")
    assert proc.returncode != 0
    assert "--workers must be at least 1" in proc.stderr
