"""Fixtures for the moderation engine tests (plain pytest, no database)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from townhall.moderation.datasets import default_datasets_dir


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The labelled data sets; skipped when absent, except on CI where it fails."""
    path = default_datasets_dir()
    if not (path / "jigsaw_toxic_10k" / "train.csv").exists():
        message = f"data sets not found at {path} (set TOWNHALL_DATASETS)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def engine():
    """The engine with the shipped model, loaded once per test session."""
    from townhall.moderation import get_engine

    return get_engine()


@pytest.fixture(scope="session")
def train_extra() -> None:
    """The ``train`` extra (torch) for fine-tuning; skipped when absent, except on CI."""
    from townhall.moderation.finetune import torch_available

    if not torch_available():
        message = "torch is not installed (pip install -r requirements-train.txt)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
