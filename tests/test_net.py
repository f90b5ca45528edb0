"""Client addresses: X-Forwarded-For is believed only from our own proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from townhall.lib import net


@pytest.fixture
def proxies(monkeypatch):
    monkeypatch.setenv("TOWNHALL_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    net._trusted.cache_clear()
    yield
    net._trusted.cache_clear()


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("198.51.100.7", "", "198.51.100.7"),
        ("198.51.100.7", "203.0.113.5", "198.51.100.7"),  # not a proxy of ours: ignored
        ("10.1.2.3", "203.0.113.5", "203.0.113.5"),
        ("10.1.2.3", "6.6.6.6, 203.0.113.5, 10.0.0.9", "203.0.113.5"),  # spoofed head skipped
        ("192.0.2.1", "10.0.0.2, 10.0.0.3", "192.0.2.1"),  # only proxies: the peer
        ("10.1.2.3", "not-an-ip", "10.1.2.3"),
    ],
)
def test_client_ip(proxies, peer, forwarded, client):
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert net.client_ip(request) == client


def test_without_trusted_proxies_the_header_is_ignored(monkeypatch):
    monkeypatch.delenv("TOWNHALL_TRUSTED_PROXIES", raising=False)
    net._trusted.cache_clear()
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert net.client_ip(request) == "10.1.2.3"
