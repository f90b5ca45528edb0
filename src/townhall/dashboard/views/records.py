"""The audit log (page and CSV) and the statistics (page and its JSON)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from townhall.accounts.models import Membership
from townhall.dashboard import stats
from townhall.dashboard.access import site_page
from townhall.dashboard.views.common import chrome
from townhall.review.models import ActorKind, AuditEntry
from townhall.sites.models import Site

AUDIT_PAGE = 50
CSV_COLUMNS = (
    "id",
    "created_at",
    "action",
    "actor_kind",
    "actor",
    "comment_id",
    "subject",
    "guideline",
    "note",
)


def _audit_rows(site: Site, request: HttpRequest) -> tuple[QuerySet[AuditEntry], dict[str, str]]:
    filters = {
        "action": request.GET.get("action", "").strip()[:40],
        "actor_kind": request.GET.get("actor_kind", ""),
    }
    rows = (
        AuditEntry.objects.filter(site=site)
        .select_related("actor", "subject")
        .order_by("-created_at", "-pk")
    )
    if filters["action"]:
        rows = rows.filter(action=filters["action"])
    if filters["actor_kind"] in ActorKind.values:
        rows = rows.filter(actor_kind=filters["actor_kind"])
    else:
        filters["actor_kind"] = ""
    return rows, filters


@require_GET
@site_page
def audit_page(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """Every decision on the site, newest first, filtered by action and actor kind."""
    rows, filters = _audit_rows(site, request)
    page = Paginator(rows, AUDIT_PAGE).get_page(request.GET.get("page"))
    actions = (
        AuditEntry.objects.filter(site=site)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    context = {
        **chrome(request, site, membership, "audit"),
        "page": page,
        "filters": filters,
        "actions": list(actions),
        "actor_kinds": ActorKind.choices,
        "query": query,
    }
    return render(request, "dashboard/audit.html", context)


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming csv."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for e in rows.iterator(chunk_size=500):
        yield writer.writerow(
            [
                e.pk,
                e.created_at.isoformat(),
                e.action,
                e.actor_kind,
                _safe_cell(e.actor.email if e.actor else ""),
                e.comment_id or "",
                _safe_cell(e.subject.email if e.subject else ""),
                e.guideline,
                _safe_cell(e.note),
            ]
        )


def _safe_cell(value: Any) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet; quote it as text.
    text = str(value or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@site_page
def audit_csv(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """The audit log as CSV, streamed, with the page's filters."""
    rows, _ = _audit_rows(site, request)
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{site.slug}-audit-{stamp}.csv"'
    return response


PERIODS = (7, 30, 90)


def _days(request: HttpRequest) -> int:
    days = request.GET.get("days", "30")
    return int(days) if days.isdigit() and 1 <= int(days) <= 365 else 30


@require_GET
@site_page
def stats_page(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """Charts, drawn by static/dashboard/stats.js: first from the data in a json_script
    tag, then from ``stats.json`` when the period changes."""
    data = stats.site_stats(site, days=_days(request))
    context = {
        **chrome(request, site, membership, "stats"),
        "stats": data,
        "periods": PERIODS,
        "median_wait": data["hold_wait"]["median"],
        "chart_text": chart_text(),
    }
    return render(request, "dashboard/stats.html", context)


def chart_text() -> dict[str, str]:
    """The words stats.js puts on the charts, in the page's language (the dashboard
    loads no JavaScript catalog; the page carries these next to the data)."""
    return {
        "published": gettext("Published"),
        "pending": gettext("Pending"),
        "held": gettext("Held"),
        "rejected": gettext("Rejected"),
        "held_engine": gettext("Held by the engine"),
        "rejected_engine": gettext("Rejected by the engine"),
        "hidden_by_reports": gettext("Hidden by reports"),
        "rejected_moderator": gettext("Rejected by a moderator"),
        "decided": gettext("Held comments decided"),
        "reports": gettext("Reports"),
        "period_note": gettext("Last %(days)s days; comments per hour over the last 48 hours."),
    }


@require_GET
@site_page
def stats_json(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    return JsonResponse(stats.site_stats(site, days=_days(request)))
