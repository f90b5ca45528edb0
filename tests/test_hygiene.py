"""A NUL character in a page's address is a clear 400, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/embed/?site=gazette&story=a%00b",
        "/embed/?site=gaz%00ette&story=s",
        "/dashboard/gazette/queue/pending/?story=x%00y",
        "/?comment=1%00",
    ],
)
def test_nul_in_a_page_address_is_refused(client, gazette, url):
    response = client.get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_the_api_still_drops_nul_from_its_parameters(client, gazette):
    response = client.get("/api/v1/comments", {"site": "gazette", "story": "a\x00b"})
    assert response.status_code == 200
