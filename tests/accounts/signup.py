"""Signing up the way the embed does: fetch a challenge, solve it, wait, send it back."""

from __future__ import annotations

import time
from typing import Any

from townhall.accounts.signup_guard import solve


def answer(challenge: dict[str, Any], received_at: float) -> dict[str, str]:
    """The fields a real client adds to its sign-up for ``challenge``, received at
    ``received_at`` (``time.monotonic()``): it waits out ``min_seconds`` as a
    person filling the form would."""
    nonce = solve(challenge["challenge"], challenge["difficulty"])
    time.sleep(max(0.0, challenge["min_seconds"] - (time.monotonic() - received_at)))
    return {"challenge": challenge["challenge"], "nonce": nonce}
