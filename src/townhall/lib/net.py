"""Who is calling: the client IP, trusting X-Forwarded-For only from configured proxies."""

from __future__ import annotations

import hashlib
import ipaddress
import os
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=1)
def _trusted() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = os.environ.get("TOWNHALL_TRUSTED_PROXIES", "")
    return tuple(ipaddress.ip_network(p.strip()) for p in raw.split(",") if p.strip())


def client_ip(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - a value, not a bind
    try:
        peer_ip = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if not any(peer_ip in net for net in _trusted()):
        return peer
    # Walk the chain from the right, skipping our own proxies: the first other
    # address is the client as our outermost proxy saw it.
    chain = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([p for p in chain if p]):
        try:
            hop_ip = ipaddress.ip_address(hop)
        except ValueError:
            return peer
        if not any(hop_ip in net for net in _trusted()):
            return hop
    return peer


def ip_hash(ip: str) -> str:
    """A salted hash, so rate limits work without keeping readers' addresses."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()[:32]
