"""Sliding-window rate limits on the shared cache (Redis when configured, so every
process counts together).

A plain fixed window lets a caller spend a whole allowance at the end of one window
and another at the start of the next. The estimate here weighs the previous window by
how much of it still overlaps the sliding window, so a burst straddling a boundary is
counted as the burst it is.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.utils.translation import gettext, ngettext

from townhall.api.errors import ApiError


def _count(key: str, window: int) -> int:
    # The first event of a window is one write (add), not two (add, then incr).
    if cache.add(key, 1, timeout=2 * window + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=2 * window + 1)
        return 1


def hit(
    scope: str,
    ident: str,
    limit: int,
    window: int,
    *,
    now: float | None = None,
    code: str = "rate_limited",
    reason: str | None = None,
) -> None:
    """Count one event for ``ident`` in ``scope``; raise a 429 ApiError past ``limit``.

    ``code`` and ``reason`` let a caller name the limit it enforces; the message is
    ``reason`` followed by when to try again.

    Raises:
        ApiError: 429 ``code`` with ``Retry-After`` the seconds until the
            estimate falls back under ``limit``.
    """
    now = time.time() if now is None else now
    start = int(now) - int(now) % window
    prefix = f"rl:{scope}:{ident}:"
    current = _count(f"{prefix}{start}", window)
    previous = cache.get(f"{prefix}{start - window}", 0)
    overlap = 1 - (now - start) / window
    estimate = previous * overlap + current
    if estimate <= limit:
        return
    if current > limit or not previous:
        retry = start + window - now
    else:
        # The previous window's weight shrinks by previous/window each second.
        retry = (estimate - limit) * window / previous
    retry_after = max(1, min(window, math.ceil(retry)))
    raise ApiError(
        429,
        code,
        ngettext(
            "%(reason)s; try again in %(seconds)d second.",
            "%(reason)s; try again in %(seconds)d seconds.",
            retry_after,
        )
        % {"reason": reason or gettext("Too many requests"), "seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )
