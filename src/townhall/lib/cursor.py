"""Opaque pagination cursors: the sort key of the last item, signed so it cannot be forged."""

from __future__ import annotations

import json
from typing import Any

from django.core import signing

_SALT = "townhall.cursor"


class BadCursor(ValueError):
    """The cursor was not made by us, or not for this sort."""


def encode(sort: str, values: list[Any]) -> str:
    return signing.dumps({"s": sort, "v": values}, salt=_SALT, compress=True)


def decode(sort: str, cursor: str) -> list[Any]:
    """Return the sort-key values, or raise BadCursor."""
    try:
        data = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise BadCursor("cursor is not valid") from None
    if not isinstance(data, dict) or data.get("s") != sort or not isinstance(data.get("v"), list):
        raise BadCursor("cursor does not belong to this sort order")
    return data["v"]
