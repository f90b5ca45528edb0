"""The numbers behind the statistics page, as plain dicts ready for JSON.

Each function reads one site's data and costs one or two queries; buckets are
made in Python so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from townhall.comments.models import Comment, Status
from townhall.dashboard.services import guideline_choices
from townhall.reports.models import Report
from townhall.review.models import ActorKind, AuditEntry
from townhall.sites.models import Site

ENGINE_OUTCOMES = {
    "comment.published": "published",
    "comment.held": "held",
    "comment.rejected": "rejected",
}
DECISIONS = {
    ("engine", "comment.held"): "held",
    ("engine", "comment.rejected"): "rejected_engine",
    ("readers", "comment.hidden_by_reports"): "hidden_by_reports",
    ("moderator", "comment.rejected"): "rejected_moderator",
}
# How long held comments waited, in buckets a desk editor thinks in.
WAIT_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 5 min", 5 * 60),
    ("5–30 min", 30 * 60),
    ("30 min–2 h", 2 * 3600),
    ("2–12 h", 12 * 3600),
    ("> 12 h", float("inf")),
)


def _hour(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def comments_per_hour(site: Site, now: datetime | None = None, hours: int = 48) -> dict[str, Any]:
    """New comments per hour over the last ``hours``, split by their current status.

    Returns ``{"labels": [ISO hour, …], "published": [n, …], "pending": […],
    "rejected": […], "total": n}``, oldest hour first, every hour present.
    """
    now = now or timezone.now()
    last = _hour(now)
    first = last - timedelta(hours=hours - 1)
    slots = [first + timedelta(hours=i) for i in range(hours)]
    index = {slot: i for i, slot in enumerate(slots)}
    series: dict[str, list[int]] = {s: [0] * hours for s in ("published", "pending", "rejected")}
    rows = Comment.objects.filter(site=site, created_at__gte=first).values_list(
        "created_at", "status"
    )
    total = 0
    for created, status in rows:
        i = index.get(_hour(created))
        if i is None or status == Status.DELETED:
            continue
        series[status][i] += 1
        total += 1
    return {"labels": [s.isoformat() for s in slots], **series, "total": total}


def decisions_by_guideline(site: Site, since: datetime | None = None) -> dict[str, Any]:
    """How many comments were held or rejected under each guideline, and by whom.

    Counts audit entries: the engine holding or rejecting, readers' reports
    hiding, a moderator rejecting. Returns ``{"labels": [title, …], "keys": [key, …],
    "held": […], "rejected_engine": […], "hidden_by_reports": […],
    "rejected_moderator": […]}`` in the site's guideline order.
    """
    qs = AuditEntry.objects.filter(site=site).exclude(guideline="")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    rows = qs.values("actor_kind", "action", "guideline").annotate(n=Count("pk"))
    choices = guideline_choices(site)
    keys = [k for k, _ in choices]
    out: dict[str, Any] = {
        "labels": [t for _, t in choices],
        "keys": keys,
        **{name: [0] * len(keys) for name in DECISIONS.values()},
    }
    for row in rows:
        name = DECISIONS.get((row["actor_kind"], row["action"]))
        if name and row["guideline"] in keys:
            out[name][keys.index(row["guideline"])] += row["n"]
    return out


def engine_outcomes(site: Site, since: datetime | None = None) -> dict[str, Any]:
    """What the engine decided about new comments (edits left out).

    Returns ``{"published": n, "held": n, "rejected": n, "total": n,
    "share": {"published": 0.0–1.0, …}}``.
    """
    qs = AuditEntry.objects.filter(
        site=site, actor_kind=ActorKind.ENGINE, action__in=list(ENGINE_OUTCOMES)
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    counts = Counter(dict.fromkeys(ENGINE_OUTCOMES.values(), 0))
    for action, data in qs.values_list("action", "data"):
        if isinstance(data, dict) and data.get("edited"):
            continue
        counts[ENGINE_OUTCOMES[action]] += 1
    total = sum(counts.values())
    return {
        **counts,
        "total": total,
        "share": {k: (v / total if total else 0.0) for k, v in counts.items()},
    }


def hold_wait(site: Site, since: datetime | None = None) -> dict[str, Any]:
    """How long held comments waited for a moderator's decision.

    A wait runs from a comment's ``comment.held`` or ``comment.hidden_by_reports``
    entry to the first moderator approval or rejection after it. Returns
    ``{"median_seconds": float | None, "median": "18 min", "decided": n, "waiting": n,
    "buckets": {"labels": […], "counts": […]}}``.
    """
    qs = AuditEntry.objects.filter(
        site=site,
        comment__isnull=False,
        action__in=[
            "comment.held",
            "comment.hidden_by_reports",
            "comment.approved",
            "comment.rejected",
        ],
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    rows = qs.order_by("created_at", "pk").values_list(
        "comment_id", "action", "actor_kind", "created_at"
    )
    held_at: dict[int, datetime] = {}
    waits: list[float] = []
    for comment_id, action, kind, at in rows:
        if action in ("comment.held", "comment.hidden_by_reports"):
            held_at.setdefault(comment_id, at)
        elif kind == ActorKind.MODERATOR and comment_id in held_at:
            waits.append((at - held_at.pop(comment_id)).total_seconds())
    counts = [0] * len(WAIT_BUCKETS)
    for wait in waits:
        counts[next(i for i, (_, top) in enumerate(WAIT_BUCKETS) if wait < top)] += 1
    median = statistics.median(waits) if waits else None
    return {
        "median_seconds": median,
        "median": format_duration(median),
        "decided": len(waits),
        "waiting": len(held_at),
        "buckets": {"labels": [label for label, _ in WAIT_BUCKETS], "counts": counts},
    }


def most_reported_stories(
    site: Site, since: datetime | None = None, limit: int = 10
) -> dict[str, Any]:
    """The stories whose comments readers reported most.

    Returns ``{"stories": [{"key", "title", "reports", "comments"}, …]}``, most
    reports first.
    """
    qs = Report.objects.filter(comment__site=site)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    rows = (
        qs.values("comment__story__key", "comment__story__title")
        .annotate(reports=Count("pk"), comments=Count("comment", distinct=True))
        .order_by("-reports", "comment__story__key")[:limit]
    )
    return {
        "stories": [
            {
                "key": r["comment__story__key"],
                "title": r["comment__story__title"] or r["comment__story__key"],
                "reports": r["reports"],
                "comments": r["comments"],
            }
            for r in rows
        ]
    }


def site_stats(site: Site, now: datetime | None = None, days: int = 30) -> dict[str, Any]:
    """Everything the statistics page charts, over the last ``days`` (48 h for the hourly chart)."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    return {
        "site": site.slug,
        "days": days,
        "generated_at": now.isoformat(),
        "per_hour": comments_per_hour(site, now),
        "by_guideline": decisions_by_guideline(site, since),
        "engine": engine_outcomes(site, since),
        "hold_wait": hold_wait(site, since),
        "reported_stories": most_reported_stories(site, since),
    }


def format_duration(seconds: float | None) -> str:
    """``None`` → "—"; 95 → "1 min 35 s"; 7260 → "2 h 1 min"."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s} s" if s else f"{minutes} min"
    hours, m = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {m} min" if m else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"
