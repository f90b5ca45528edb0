"""Pluggable scorers: the shipped classifier and an external HTTP scorer.

A scorer turns texts into attribute scores. The engine always runs the
shipped classifier and, for each scorer in ``Policy.extra_scorers``, takes the
higher of the two scores per attribute. A scorer that fails (network error,
timeout, bad answer) returns a :class:`ScoreResult` with ``error`` set, and its
``failure_policy`` decides what happens to the comment: ``"hold"`` sends it
to moderators, ``"publish"`` carries on with the other scores.

HTTP scorer protocol (JSON over POST)::

    request  {"texts": ["...", ...], "attributes": ["toxicity", ...]}
    response {"scores": [{"toxicity": 0.91, "threat": 0.02}, ...]}

The request carries ``X-Townhall-Timestamp`` (Unix seconds) and
``X-Townhall-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``
keyed with the shared secret, so the receiver can reject forged or replayed
requests. Unknown attributes in the response are ignored; scores are clipped
to [0, 1].
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from townhall.moderation.types import ATTRIBUTES

__all__ = [
    "HttpScorer",
    "ScoreResult",
    "Scorer",
    "sign",
    "verify",
]

FailurePolicy = Literal["hold", "publish"]


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Scores for one text, or the reason they could not be computed."""

    scores: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None


@runtime_checkable
class Scorer(Protocol):
    """Anything that scores texts. Must be safe to call from several threads.

    ``score`` returns one :class:`ScoreResult` per text, in order, and must
    not raise: failures are reported in ``ScoreResult.error``.
    """

    name: str
    failure_policy: FailurePolicy
    guideline: str

    def score(self, texts: Sequence[str]) -> list[ScoreResult]: ...


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Return the ``X-Townhall-Signature`` header value for ``body``."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: bytes, timestamp: str, body: bytes, signature: str, *, max_age: float = 300.0
) -> bool:
    """Tell whether ``signature`` is valid for ``body`` and recent enough."""
    try:
        age = abs(time.time() - float(timestamp))
    except ValueError:
        return False
    if age > max_age:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True, slots=True)
class HttpScorer:
    """Scores texts by POSTing them to an external service (see module doc).

    Uses only the standard library. ``timeout`` (seconds) bounds the whole
    request; any failure yields results with ``error`` set.
    """

    url: str
    secret: bytes
    name: str = "http"
    timeout: float = 2.0
    failure_policy: FailurePolicy = "hold"
    guideline: str = "nice"

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("scorer URL must be http:// or https://")
        if self.failure_policy not in ("hold", "publish"):
            raise ValueError(f"unknown failure policy {self.failure_policy!r}")

    def score(self, texts: Sequence[str]) -> list[ScoreResult]:
        """POST ``texts`` and return their scores; never raises."""
        if not texts:
            return []
        body = json.dumps(
            {"texts": list(texts), "attributes": list(ATTRIBUTES)}, ensure_ascii=False
        ).encode("utf-8")
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __post_init__
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Townhall-Timestamp": timestamp,
                "X-Townhall-Signature": sign(self.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read(1_000_000))
            rows = payload["scores"]
            if not isinstance(rows, list) or len(rows) != len(texts):
                raise ValueError("answer does not have one score object per text")
            return [ScoreResult(_clean_scores(row)) for row in rows]
        except (OSError, urllib.error.URLError, ValueError, KeyError, TypeError) as exc:
            error = f"{self.name}: {type(exc).__name__}: {exc}"
            return [ScoreResult(error=error) for _ in texts]


def _clean_scores(row: object) -> dict[str, float]:
    if not isinstance(row, Mapping):
        raise TypeError("score object is not a JSON object")
    out: dict[str, float] = {}
    for key, value in row.items():
        if key in ATTRIBUTES and isinstance(value, int | float) and math.isfinite(value):
            out[key] = min(1.0, max(0.0, float(value)))
    return out
