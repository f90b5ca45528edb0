"""The loader scripts publishers put on their pages."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/embed.js", "/count.js"])
def test_loader_scripts_are_served_as_javascript_at_the_root(client, path):
    r = client.get(path)

    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/javascript")
    assert "max-age=300" in r["Cache-Control"]
    assert b"townhall" in r.content


def test_embed_js_hands_the_sso_token_over_by_message_not_url(client):
    js = client.get("/embed.js").content.decode()

    assert 'params.set("sso", "1")' in js
    assert "ssoToken)" in js and "postMessage" in js
    assert "event.origin !== origin" in js


def test_count_js_asks_once_for_every_story(client):
    js = client.get("/count.js").content.decode()

    assert "/api/v1/counts?" in js
    assert 'q.append("story", k)' in js


def test_htmx_is_vendored_with_its_licence(client):
    r = client.get("/static/vendor/htmx/htmx.min.js")

    assert r.status_code == 200
    assert client.get("/static/vendor/htmx/LICENSE").status_code == 200
