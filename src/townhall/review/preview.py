"""What a change of thresholds would have done to recent comments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from townhall.api.errors import ApiError
from townhall.comments.models import Comment
from townhall.moderation.types import ATTRIBUTES, DEFAULT_HOLD, DEFAULT_REJECT
from townhall.sites.models import Site

OFF = 1.01  # above any score: the engine never acts on this attribute


def clean_thresholds(raw: Mapping[str, Any], name: str) -> dict[str, float]:
    """Validate a mapping attribute → threshold in [0, 1], or ``null`` / above 1 for "off".

    Raises:
        ApiError: 422 for an unknown attribute or a value that is not a number in [0, 1].
    """
    out: dict[str, float] = {}
    for attribute, value in (raw or {}).items():
        if attribute not in ATTRIBUTES:
            raise ApiError(422, "invalid_threshold", f"{name}: unknown attribute {attribute!r}.")
        if value is None or value == "off":
            out[attribute] = OFF
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ApiError(
                422, "invalid_threshold", f"{name}.{attribute} must be a number."
            ) from None
        if number > 1.0:
            number = OFF
        if not 0.0 <= number <= OFF:
            raise ApiError(422, "invalid_threshold", f"{name}.{attribute} must be between 0 and 1.")
        out[attribute] = number
    return out


def preview_thresholds(
    site: Site, hold: Mapping[str, Any], reject: Mapping[str, Any], last: int = 500
) -> dict[str, Any]:
    """Replay the classifier scores stored with the site's last ``last`` comments.

    Returns ``{"total", "held", "rejected", "published", "by_attribute"}``: what the
    scores alone would have decided under these thresholds (word lists, links and
    pre-moderation are not replayed).
    """
    hold_t = {**DEFAULT_HOLD, **clean_thresholds(hold, "hold")}
    reject_t = {**DEFAULT_REJECT, **clean_thresholds(reject, "reject")}
    rows = (
        Comment.objects.filter(site=site)
        .exclude(scores={})
        .order_by("-created_at")
        .values_list("scores", flat=True)[:last]
    )
    held = rejected = 0
    by_attribute = dict.fromkeys(ATTRIBUTES, 0)
    total = 0
    for scores in rows:
        total += 1
        fired = [a for a in ATTRIBUTES if float(scores.get(a, 0.0)) >= hold_t[a]]
        for a in fired:
            by_attribute[a] += 1
        if any(float(scores.get(a, 0.0)) >= reject_t[a] for a in ATTRIBUTES):
            rejected += 1
        elif fired:
            held += 1
    return {
        "total": total,
        "held": held,
        "rejected": rejected,
        "published": total - held - rejected,
        "by_attribute": by_attribute,
    }
