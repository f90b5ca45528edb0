"""Reading and changing a site's settings, as the dashboard and the newsroom API do."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from townhall.accounts.models import User
from townhall.api.errors import ApiError
from townhall.review import audit
from townhall.review.models import ActorKind
from townhall.review.preview import clean_thresholds
from townhall.review.services import require_moderator
from townhall.sites.models import PreModeration, Site
from townhall.sites.services import normalise_origin

_INT_FIELDS = {
    "max_reply_depth": (0, 10),
    "edit_window_minutes": (0, 7 * 24 * 60),
    "min_comment_length": (1, 1000),
    "max_comment_length": (10, 100_000),
}
_WORDS_MAX = 2000


def site_settings(site: Site) -> dict[str, Any]:
    """The settings a site's administrators may read and change."""
    return {
        "slug": site.slug,
        "name": site.name,
        "allowed_origins": site.allowed_origins,
        "guidelines": site.guidelines,
        "anonymous_posting": site.anonymous_posting,
        "max_reply_depth": site.max_reply_depth,
        "edit_window_minutes": site.edit_window_minutes,
        "close_after_days": site.close_after_days,
        "min_comment_length": site.min_comment_length,
        "max_comment_length": site.max_comment_length,
        "premoderation": site.premoderation,
        "hold_thresholds": site.hold_thresholds,
        "reject_thresholds": site.reject_thresholds,
        "banned_words": site.banned_words,
        "suspect_words": site.suspect_words,
        "max_links": site.max_links,
        "claims_action": site.claims_action,
        "report_hide_weight": site.report_hide_weight,
    }


def _words(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", "\n").splitlines()
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise ApiError(
            422, "invalid_setting", gettext("%(name)s must be a list of words.") % {"name": name}
        )
    words = sorted({" ".join(w.casefold().split()) for w in value if w.strip()})
    if len(words) > _WORDS_MAX or any(len(w) > 100 for w in words):
        raise ApiError(
            422,
            "invalid_setting",
            gettext("%(name)s: at most %(count)d entries of 100 characters.")
            % {"name": name, "count": _WORDS_MAX},
        )
    return words


def _int(value: Any, name: str, lo: int, hi: int, nullable: bool = False) -> int | None:
    if value is None or value == "":
        if nullable:
            return None
        raise ApiError(422, "invalid_setting", gettext("%(name)s is required.") % {"name": name})
    if isinstance(value, bool):
        raise ApiError(
            422, "invalid_setting", gettext("%(name)s must be a whole number.") % {"name": name}
        )
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(
            422, "invalid_setting", gettext("%(name)s must be a whole number.") % {"name": name}
        ) from None
    if not lo <= number <= hi:
        raise ApiError(
            422,
            "invalid_setting",
            gettext("%(name)s must be between %(lo)d and %(hi)d.")
            % {"name": name, "lo": lo, "hi": hi},
        )
    return number


def _guidelines(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise ApiError(422, "invalid_setting", gettext("guidelines must be a non-empty list."))
    out = []
    for g in value:
        if not isinstance(g, dict) or not str(g.get("title", "")).strip():
            raise ApiError(422, "invalid_setting", gettext("each guideline needs a title."))
        out.append(
            {
                "key": str(g.get("key", ""))[:32],
                "title": str(g["title"]).strip()[:80],
                "text": str(g.get("text", "")).strip()[:1000],
            }
        )
    return out


def update_site(site: Site, actor: User | None, changes: dict[str, Any]) -> Site:
    """Validate and apply ``changes``; record them in the audit log.

    Raises:
        ApiError: 401/403 not a moderator or admin of the site; 422 an unknown
            setting or a bad value (nothing is changed then).
    """
    require_moderator(actor, site)
    known = set(site_settings(site)) - {"slug"}
    unknown = set(changes) - known
    if unknown:
        raise ApiError(
            422,
            "unknown_setting",
            gettext("Unknown settings: %(names)s.") % {"names": ", ".join(sorted(unknown))},
        )
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _INT_FIELDS:
            clean[name] = _int(value, name, *_INT_FIELDS[name])
        elif name == "close_after_days":
            clean[name] = _int(value, name, 1, 3650, nullable=True)
        elif name == "max_links":
            clean[name] = _int(value, name, 0, 100, nullable=True)
        elif name in ("hold_thresholds", "reject_thresholds"):
            if not isinstance(value, dict):
                raise ApiError(
                    422,
                    "invalid_setting",
                    gettext("%(name)s must map attributes to numbers.") % {"name": name},
                )
            clean[name] = clean_thresholds(value, name)
        elif name in ("banned_words", "suspect_words"):
            clean[name] = _words(value, name)
        elif name == "guidelines":
            clean[name] = _guidelines(value)
        elif name == "premoderation":
            if value not in PreModeration.values:
                raise ApiError(
                    422,
                    "invalid_setting",
                    gettext("premoderation must be one of %(values)s.")
                    % {"values": ", ".join(PreModeration.values)},
                )
            clean[name] = value
        elif name == "claims_action":
            if value not in ("hold", "annotate"):
                raise ApiError(
                    422, "invalid_setting", gettext("claims_action must be hold or annotate.")
                )
            clean[name] = value
        elif name == "anonymous_posting":
            if not isinstance(value, bool):
                raise ApiError(
                    422, "invalid_setting", gettext("anonymous_posting must be true or false.")
                )
            clean[name] = value
        elif name == "report_hide_weight":
            try:
                clean[name] = float(value)
            except (TypeError, ValueError):
                raise ApiError(
                    422, "invalid_setting", gettext("report_hide_weight must be a number.")
                ) from None
            if not 0.5 <= clean[name] <= 100:
                raise ApiError(
                    422,
                    "invalid_setting",
                    gettext("report_hide_weight must be between 0.5 and 100."),
                )
        elif name == "allowed_origins":
            try:
                clean[name] = sorted({normalise_origin(o) for o in value})
            except (TypeError, ValueError, AttributeError) as exc:
                raise ApiError(
                    422, "invalid_setting", gettext("allowed_origins: %(error)s") % {"error": exc}
                ) from None
        elif name == "name":
            text = str(value).strip()
            if not 1 <= len(text) <= 200:
                raise ApiError(422, "invalid_setting", gettext("name must be 1–200 characters."))
            clean[name] = text
    if "min_comment_length" in clean or "max_comment_length" in clean:
        lo = clean.get("min_comment_length", site.min_comment_length)
        hi = clean.get("max_comment_length", site.max_comment_length)
        if lo > hi:
            raise ApiError(
                422, "invalid_setting", gettext("min_comment_length is above max_comment_length.")
            )
    before = {k: getattr(site, k) for k in clean}
    with transaction.atomic():
        for name, value in clean.items():
            setattr(site, name, value)
        site.save(update_fields=list(clean))
        audit.record(
            site,
            "site.settings_changed",
            actor_kind=ActorKind.MODERATOR,
            actor=actor,
            data={"before": before, "after": clean},
        )
    return site
