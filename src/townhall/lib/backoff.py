"""Lock-out with exponential back-off after repeated failures (wrong passwords).

Unlike the sliding window in ``ratelimit``, which counts every request, this counts
only failures. After ``threshold`` failures in a row for one identity (an account,
an address) further attempts are refused for a lock that doubles with each run of
failures that ends in another lock: 1 minute, 2, 4… up to a cap. A success resets
the identity. Every counter lives in the shared cache (Redis when configured), so
all processes see the same lock.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import ngettext

from townhall.api.errors import ApiError

# How long a run of locks is remembered: a lock after a quiet day starts at the base again.
_MEMORY = 86400


@dataclass(frozen=True)
class Policy:
    """``threshold`` failures lock for ``base`` seconds, doubling per lock, at most ``cap``."""

    threshold: int
    base: int
    cap: int

    def lock_seconds(self, locks_so_far: int) -> int:
        return min(self.cap, self.base * 2 ** min(locks_so_far, 32))


def _keys(scope: str, ident: str) -> tuple[str, str, str]:
    prefix = f"bo:{scope}:{ident}"
    return f"{prefix}:fails", f"{prefix}:locks", f"{prefix}:until"


def _refusal(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "locked_out",
        ngettext(
            "Too many failed attempts; try again in %(seconds)d second.",
            "Too many failed attempts; try again in %(seconds)d seconds.",
            retry_after,
        )
        % {"seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def check(scope: str, ident: str, *, now: float | None = None) -> None:
    """Refuse while ``ident`` is locked out.

    Raises:
        ApiError: 429 ``locked_out`` with ``Retry-After`` the seconds left on the lock.
    """
    now = time.time() if now is None else now
    until = cache.get(_keys(scope, ident)[2])
    if until is not None and until > now:
        raise _refusal(max(1, math.ceil(until - now)))


def _incr(key: str) -> int:
    cache.add(key, 0, timeout=_MEMORY)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=_MEMORY)
        return 1


def fail(scope: str, ident: str, policy: Policy, *, now: float | None = None) -> int:
    """Count one failure; lock ``ident`` when it completes a run of ``policy.threshold``.

    Returns the seconds of the lock this failure started, or 0 when it started none.
    """
    now = time.time() if now is None else now
    fails_key, locks_key, until_key = _keys(scope, ident)
    if _incr(fails_key) < policy.threshold:
        return 0
    # Only the failure that wins the reset starts the lock, so two processes that
    # both see the threshold do not double the lock twice.
    if not cache.delete(fails_key):
        return 0
    seconds = policy.lock_seconds(_incr(locks_key) - 1)
    cache.set(until_key, now + seconds, timeout=seconds)
    return seconds


def succeed(scope: str, ident: str) -> None:
    """Forget the failures and locks of ``ident``."""
    cache.delete_many(list(_keys(scope, ident)))
