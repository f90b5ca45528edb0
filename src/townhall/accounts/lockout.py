"""Login lock-out: wrong passwords lock an account and an address out for a while.

Both the API log-in and the dashboard's sign-in use these, so a guesser cannot
switch door to reset the count.
"""

from __future__ import annotations

from django.conf import settings

from townhall.lib import backoff
from townhall.lib.net import ip_hash


def _policies() -> tuple[backoff.Policy, backoff.Policy]:
    base = settings.TOWNHALL_LOGIN_LOCKOUT_SECONDS
    cap = max(base, settings.TOWNHALL_LOGIN_LOCKOUT_MAX_SECONDS)
    account = backoff.Policy(settings.TOWNHALL_LOGIN_MAX_FAILURES, base, cap)
    address = backoff.Policy(settings.TOWNHALL_LOGIN_MAX_FAILURES_PER_IP, base, cap)
    return account, address


def _account(email: str) -> str:
    # Hashed like addresses: the cache never holds a reader's email in clear.
    return ip_hash(email.strip().casefold())


def check(email: str, ip: str) -> None:
    """Refuse a log-in attempt while the account or the address is locked out.

    Raises:
        ApiError: 429 ``locked_out`` with ``Retry-After``.
    """
    backoff.check("login-ip", ip_hash(ip))
    backoff.check("login-account", _account(email))


def failed(email: str, ip: str) -> None:
    """Count a wrong password against the account and the address."""
    account, address = _policies()
    backoff.fail("login-account", _account(email), account)
    backoff.fail("login-ip", ip_hash(ip), address)


def succeeded(email: str) -> None:
    """A right password clears the account's record.

    The address keeps its count: otherwise a guesser with one account of their own
    could log into it between guesses at others and never be locked out.
    """
    backoff.succeed("login-account", _account(email))
