"""Forms of the dashboard. They check types and shapes; the services check the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from townhall.dashboard.services import attribute_label
from townhall.moderation.types import ATTRIBUTES, DEFAULT_HOLD, DEFAULT_REJECT
from townhall.sites.guidelines import DEFAULT_GUIDELINES
from townhall.sites.models import PreModeration, Site


class LoginForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autofocus": True}))
    password = forms.CharField(max_length=4096, strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


def _words(raw: str) -> list[str]:
    """One word or phrase a line; blank lines and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for line in (raw or "").splitlines():
        word = " ".join(line.split())
        if word and word.casefold() not in {w.casefold() for w in seen}:
            seen[word] = None
    return list(seen)


# The engine never reaches a threshold above 1: the attribute is switched off.
# The form shows such a threshold as an empty field ("off") and sends this back.
OFF = 1.01


def threshold_field(label: str | Promise) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        min_value=0.0,
        max_value=1.0,
        required=False,
        widget=forms.NumberInput(
            attrs={"step": "0.01", "min": "0", "max": "1", "placeholder": _("off")}
        ),
    )


class ThresholdsForm(forms.Form):
    """Hold and reject thresholds per attribute, as ``hold_<attr>`` and ``reject_<attr>``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for attr in ATTRIBUTES:
            self.fields[f"hold_{attr}"] = threshold_field(
                format_lazy(_("Hold {}"), attribute_label(attr))
            )
            self.fields[f"reject_{attr}"] = threshold_field(
                format_lazy(_("Reject {}"), attribute_label(attr))
            )

    @staticmethod
    def initial_for(site: Site) -> dict[str, Any]:
        hold = {**DEFAULT_HOLD, **(site.hold_thresholds or {})}
        reject = {**DEFAULT_REJECT, **(site.reject_thresholds or {})}
        out: dict[str, float | None] = {
            f"hold_{a}": hold[a] if hold[a] <= 1 else None for a in ATTRIBUTES
        }
        out.update({f"reject_{a}": reject[a] if reject[a] <= 1 else None for a in ATTRIBUTES})
        return out

    def thresholds(self) -> tuple[dict[str, float], dict[str, float]]:
        """The full hold and reject maps the form holds, ``OFF`` for an empty field
        (call after ``is_valid``)."""
        data = self.cleaned_data

        def value(name: str) -> float:
            return OFF if data.get(name) is None else float(data[name])

        return (
            {a: value(f"hold_{a}") for a in ATTRIBUTES},
            {a: value(f"reject_{a}") for a in ATTRIBUTES},
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for attr in ATTRIBUTES:
            hold, reject = data.get(f"hold_{attr}"), data.get(f"reject_{attr}")
            if hold is not None and reject is not None and hold > reject:
                self.add_error(
                    f"reject_{attr}", _("A reject threshold cannot be below the hold one.")
                )
        return data


class SettingsForm(ThresholdsForm):
    """Everything on the settings page except the moderators."""

    banned_words = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    suspect_words = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    premoderation = forms.ChoiceField(choices=PreModeration.choices)
    edit_window_minutes = forms.IntegerField(min_value=0, max_value=7 * 24 * 60)
    max_reply_depth = forms.IntegerField(min_value=0, max_value=10)
    close_after_days = forms.IntegerField(min_value=1, max_value=3650, required=False)
    anonymous_posting = forms.BooleanField(required=False)
    report_hide_weight = forms.FloatField(min_value=0.5, max_value=100.0)
    max_links = forms.IntegerField(min_value=0, max_value=100, required=False)
    claims_action = forms.ChoiceField(choices=Site._meta.get_field("claims_action").choices)

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site
        self.guideline_keys = [g["key"] for g in DEFAULT_GUIDELINES]
        for key in self.guideline_keys:
            self.fields[f"guideline_{key}_title"] = forms.CharField(max_length=80)
            self.fields[f"guideline_{key}_text"] = forms.CharField(
                max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
            )

    @classmethod
    def initial_for(cls, site: Site) -> dict[str, Any]:  # type: ignore[override]
        initial: dict[str, Any] = ThresholdsForm.initial_for(site)
        stored = {g.get("key"): g for g in site.guidelines or []}
        for default in DEFAULT_GUIDELINES:
            g = stored.get(default["key"], default)
            initial[f"guideline_{default['key']}_title"] = g.get("title", default["title"])
            initial[f"guideline_{default['key']}_text"] = g.get("text", default["text"])
        initial.update(
            banned_words="\n".join(site.banned_words or []),
            suspect_words="\n".join(site.suspect_words or []),
            premoderation=site.premoderation,
            edit_window_minutes=site.edit_window_minutes,
            max_reply_depth=site.max_reply_depth,
            close_after_days=site.close_after_days,
            anonymous_posting=site.anonymous_posting,
            report_hide_weight=site.report_hide_weight,
            max_links=site.max_links,
            claims_action=site.claims_action,
        )
        return initial

    def guideline_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "key": key,
                "title": self[f"guideline_{key}_title"],
                "text": self[f"guideline_{key}_text"],
            }
            for key in self.guideline_keys
        ]

    def threshold_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "attribute": a,
                "label": attribute_label(a),
                "hold": self[f"hold_{a}"],
                "reject": self[f"reject_{a}"],
            }
            for a in ATTRIBUTES
        ]

    def changes(self) -> dict[str, Any]:
        """The ``update_site`` changes the form describes (call after ``is_valid``).

        Thresholds equal to the engine's defaults are left out, so a site follows
        the defaults wherever it has not chosen otherwise.
        """
        data = self.cleaned_data
        hold, reject = self.thresholds()
        stored = {g.get("key"): g for g in self.site.guidelines or []}
        guidelines = []
        for key in self.guideline_keys:
            g = dict(stored.get(key) or {"key": key})
            g.update(
                key=key,
                title=data[f"guideline_{key}_title"].strip(),
                text=data[f"guideline_{key}_text"].strip(),
            )
            guidelines.append(g)
        return {
            "guidelines": guidelines,
            "hold_thresholds": {a: v for a, v in hold.items() if v != DEFAULT_HOLD[a]},
            "reject_thresholds": {a: v for a, v in reject.items() if v != DEFAULT_REJECT[a]},
            "banned_words": _words(data["banned_words"]),
            "suspect_words": _words(data["suspect_words"]),
            "premoderation": data["premoderation"],
            "edit_window_minutes": data["edit_window_minutes"],
            "max_reply_depth": data["max_reply_depth"],
            "close_after_days": data["close_after_days"],
            "anonymous_posting": data["anonymous_posting"],
            "report_hide_weight": data["report_hide_weight"],
            "max_links": data["max_links"],
            "claims_action": data["claims_action"],
        }


class ClaimForm(forms.Form):
    claim = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    correction = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    link = forms.URLField(max_length=500, required=False, assume_scheme="https")
