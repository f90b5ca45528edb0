from __future__ import annotations

import pytest
from django.core.cache import cache

from townhall.accounts.services import create_account
from townhall.moderation.types import ATTRIBUTES
from townhall.sites.services import create_site

# The Courier runs with the classifier's thresholds out of reach (as tests/conftest.py
# does for the Gazette): what the frame shows must not hinge on a model's scores for
# these made-up texts. Tests that need a judgement set the comment's status themselves.
CLASSIFIER_OFF = dict.fromkeys(ATTRIBUTES, 1.01)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits and the duplicate check live in the cache; ids repeat between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def courier(db):
    """A paper that embeds townhall on two origins."""
    site = create_site(
        "courier", "The Courier", ["https://news.example", "https://www.news.example"]
    )
    site.hold_thresholds = CLASSIFIER_OFF
    site.reject_thresholds = CLASSIFIER_OFF
    site.save(update_fields=["hold_thresholds", "reject_thresholds"])
    return site


@pytest.fixture
def alice(courier):
    """A reader of the Courier."""
    return create_account("alice@example.com", "alder-creek-42", "Alice Wren", courier)


@pytest.fixture
def bob(courier):
    """Another reader, who replies to Alice."""
    return create_account("bob@example.com", "mill-lane-1911", "Bob Marsh", courier)
