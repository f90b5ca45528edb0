"""The documentation site builds cleanly, and its generated parts match the code."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from townhall.api.api import api

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, site


def _operations(schema: dict[str, Any]) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_the_docs_build_strictly_with_no_warnings(built):
    result, site = built
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
    for page in ("index.html", "moderation/guide/index.html", "operations/index.html"):
        assert (site / page).is_file(), f"{page} was not built"


def test_the_api_reference_lists_every_operation_of_the_schema(built):
    result, site = built
    assert result.returncode == 0, result.stderr[-3000:]
    schema = api.get_openapi_schema()
    page = html.unescape(re.sub(r"<[^>]+>", "", (site / "api-reference/index.html").read_text()))
    missing = [op for op in _operations(schema) if op not in page]
    assert len(schema["paths"]) > 10, "the schema has too few paths: is the API mounted?"
    assert not missing, f"operations missing from the API reference: {missing}"


def test_the_downloadable_openapi_json_is_the_apis_schema(built):
    result, site = built
    assert result.returncode == 0, result.stderr[-3000:]
    published = json.loads((site / "openapi.json").read_text())
    served = json.loads(Client().get("/api/v1/openapi.json").content)
    assert sorted(_operations(published)) == sorted(_operations(served))
    assert published["components"] == served["components"]


@pytest.mark.django_db
def test_the_python_sso_example_in_the_embedding_guide_signs_a_reader_in(gazette):
    # Run the publisher-side code exactly as printed, then hand its token to townhall.
    text = (ROOT / "docs" / "embedding.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    example = next(b for b in blocks if "def townhall_sso_token" in b)
    namespace: dict[str, Any] = {}
    exec(compile(example, "docs/embedding.md", "exec"), namespace)  # noqa: S102 - our own docs

    secret = "a-long-random-secret-shared-with-the-gazette"
    gazette.sso_secret = secret
    gazette.save()
    token = namespace["townhall_sso_token"]("reader-7", "pat@example.org", "Pat Reader", secret)

    response = Client().post(
        "/api/v1/auth/sso",
        json.dumps({"site": "gazette", "token": token}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["user"]["display_name"] == "Pat Reader"
