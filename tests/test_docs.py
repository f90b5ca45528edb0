"""The docs keep up with the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_environment_variable_is_documented():
    used: set[str] = set()
    for path in (ROOT / "src" / "townhall").rglob("*.py"):
        used |= set(
            re.findall(r"[\"'](TOWNHALL_[A-Z_]+|DATABASE_URL|REDIS_URL)[\"']", path.read_text())
        )
    documented = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(v for v in used if f"`{v}`" not in documented)
    assert used, "no environment variables found: the scan is broken"
    assert not missing, f"undocumented in docs/configuration.md: {missing}"


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first = readme.index("make run")
    assert first < 1200 and "make test" in readme[: first + 400]
