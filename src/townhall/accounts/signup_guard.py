"""Keeping sign-up bots out without a third-party captcha.

Three checks, each cheap for a person and costly or revealing for a script:

- a honeypot field that people never see and form-filling bots fill in;
- a signed challenge issued when the form is shown: a sign-up sooner than
  ``TOWNHALL_SIGNUP_MIN_SECONDS`` after it, with an expired or forged one, or
  with one already spent on an account, is refused;
- a small proof of work on that challenge (hashcash with SHA-256): a nonce such
  that ``sha256("<challenge>:<nonce>")`` starts with ``TOWNHALL_SIGNUP_POW_BITS``
  zero bits. The embed solves it in the browser while the reader types.

``TOWNHALL_SIGNUP_CHALLENGE`` says when the challenge is demanded. In ``auto`` (the
default) a sign-up without one, as the API contract's four fields are, passes until
a site sees more than ``TOWNHALL_SIGNUP_SURGE_PER_HOUR`` of them in an hour; then,
until the surge passes, only sign-ups with a solved challenge do. The count lives in
the shared cache, so every process sees the same surge. ``always`` demands it of
every sign-up and ``never`` of none; a challenge that is sent is checked in every
mode, and the honeypot always is.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext, ngettext

from townhall.api.errors import ApiError
from townhall.lib import ratelimit

_SALT = "townhall.signup-challenge"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def issue(site_slug: str, *, now: float | None = None) -> dict[str, Any]:
    """A fresh challenge for the sign-up form of ``site_slug``, with what solving it needs."""
    now = time.time() if now is None else now
    token = _signer().sign_object({"s": site_slug, "t": round(now, 3), "r": secrets.token_hex(8)})
    return {
        "challenge": token,
        "difficulty": settings.TOWNHALL_SIGNUP_POW_BITS,
        "min_seconds": settings.TOWNHALL_SIGNUP_MIN_SECONDS,
        "expires_in": settings.TOWNHALL_SIGNUP_TOKEN_MAX_AGE,
    }


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def solves(challenge: str, nonce: str, difficulty: int) -> bool:
    """True when ``nonce`` is a proof of work of ``difficulty`` bits for ``challenge``."""
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return leading_zero_bits(digest) >= difficulty


def solve(challenge: str, difficulty: int) -> str:
    """Find a nonce for ``challenge``, as the embed does in the browser (for API clients)."""
    n = 0
    while not solves(challenge, str(n), difficulty):
        n += 1
    return str(n)


def _refuse(status: int, code: str, message: str, **headers: str) -> ApiError:
    return ApiError(status, code, message, headers=dict(headers) or None)


def note_unchallenged(site_slug: str) -> None:
    """Count a sign-up on ``site_slug`` that came without a challenge.

    Raises:
        ApiError: 429 ``challenge_required`` with ``Retry-After`` once the site has
            had more than ``TOWNHALL_SIGNUP_SURGE_PER_HOUR`` of them in the sliding
            hour (refused ones count too, so a flood keeps the surge on).
    """
    ratelimit.hit(
        f"signup-unchallenged:{site_slug}",
        "site",
        settings.TOWNHALL_SIGNUP_SURGE_PER_HOUR,
        3600,
        code="challenge_required",
        reason=gettext(
            "Many accounts are being made on this site just now: send a solved challenge"
            " (GET /api/v1/auth/signup/challenge) with the sign-up, or wait for the surge"
            " to pass"
        ),
    )


def verify(site_slug: str, challenge: str, nonce: str, honeypot: str) -> str:
    """Check a sign-up's honeypot, challenge and proof of work; return the key that claims it.

    The challenge is claimed here, so it buys one account; give the key to
    ``release`` if the sign-up fails after all and the reader may try again. A
    sign-up without a challenge returns ``""``: with ``TOWNHALL_SIGNUP_CHALLENGE``
    ``auto`` (the default, so API clients written to the plain four-field contract
    keep working) unless the site is in a surge of them, with ``never`` always.

    Raises:
        ApiError: 422 ``invalid_signup`` when the honeypot is filled (worded like any
            refusal, so a bot learns nothing); 400 ``challenge_invalid``,
            ``challenge_expired``, ``challenge_unsolved``; 429 ``too_fast`` or
            ``challenge_required`` with ``Retry-After``; 409 ``challenge_used``.
    """
    if honeypot.strip():
        raise _refuse(422, "invalid_signup", gettext("This sign-up could not be completed."))
    mode = settings.TOWNHALL_SIGNUP_CHALLENGE
    if not challenge and mode != "always":
        if mode == "auto":
            note_unchallenged(site_slug)
        return ""
    max_age = settings.TOWNHALL_SIGNUP_TOKEN_MAX_AGE
    try:
        data = _signer().unsign_object(challenge, max_age=max_age)
    except signing.SignatureExpired:
        raise _refuse(
            400,
            "challenge_expired",
            gettext("The sign-up form has expired; reload it and try again."),
        ) from None
    except signing.BadSignature:
        raise _refuse(
            400,
            "challenge_invalid",
            gettext("Get a sign-up challenge first (GET /auth/signup/challenge)."),
        ) from None
    if not isinstance(data, dict) or data.get("s") != site_slug:
        raise _refuse(
            400, "challenge_invalid", gettext("This sign-up challenge is for another site.")
        )
    waited = time.time() - float(data.get("t", 0))
    wait_more = settings.TOWNHALL_SIGNUP_MIN_SECONDS - waited
    if wait_more > 0:
        retry = max(1, math.ceil(wait_more))
        raise _refuse(
            429,
            "too_fast",
            ngettext(
                "That was quicker than a person types; try again in %(seconds)d second.",
                "That was quicker than a person types; try again in %(seconds)d seconds.",
                retry,
            )
            % {"seconds": retry},
            **{"Retry-After": str(retry)},
        )
    if not solves(challenge, nonce, settings.TOWNHALL_SIGNUP_POW_BITS):
        raise _refuse(
            400, "challenge_unsolved", gettext("The sign-up proof of work is missing or wrong.")
        )
    key = "signup-challenge:" + hashlib.sha256(challenge.encode()).hexdigest()[:32]
    if not cache.add(key, 1, timeout=max_age + 60):
        raise _refuse(
            409,
            "challenge_used",
            gettext("This sign-up challenge was already used; get a new one."),
        )
    return key


def release(key: str) -> None:
    """Let a claimed challenge be used again after a sign-up that stored nothing."""
    if key:
        cache.delete(key)
