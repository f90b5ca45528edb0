"""What the comment iframe shows: the API's thread payload, dressed for the template.

The iframe reads the same payload as ``GET /api/v1/comments`` (``build_thread``), so
the page and the API can never disagree; this module only adds what a template
needs (datetimes, labels, which buttons a reader may use) and the frame's CSP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from townhall.accounts.models import Membership, User
from townhall.api.auth import caller
from townhall.api.errors import ApiError
from townhall.comments.models import Comment, Status
from townhall.comments.threads import DEFAULT_LIMIT, MAX_LIMIT, SORTS, ThreadQuery, build_thread
from townhall.lib.language import requested_language
from townhall.reports.models import REASON_GUIDELINE, Reason
from townhall.review.models import Tip
from townhall.sites.models import Site

# Only plain origins go into the CSP header: anything else in a site's list
# (a typo, a path, a stray ";") could break or widen the policy.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$")
_HOUSE_RULES = {"spam": gettext_lazy("No spam")}
# What a reader is told about a report they made, once moderators have decided.
REPORT_OUTCOMES = {
    "open": "",
    "upheld": gettext_lazy("Moderators agreed and removed it."),
    "dismissed": gettext_lazy("Moderators reviewed it and left it up."),
}


@dataclass(frozen=True)
class FrameParams:
    """The iframe's query string, checked."""

    site: Site
    story: str
    url: str
    title: str
    sort: str = "newest"
    focus: int | None = None
    cursor: str | None = None
    sso: bool = False
    # Top-level comments on the first page: the frame asks for as many as the reader
    # had loaded with "Show more", so a refresh after an action keeps their place.
    limit: int = DEFAULT_LIMIT
    # The language the embedding page asked for (its <html lang>), kept on every
    # link and fragment so the frame does not switch language halfway.
    lang: str = ""

    def query(self, **changes: Any) -> str:
        """This frame's query string, with ``changes`` applied (``None`` drops a key)."""
        values: dict[str, Any] = {
            "site": self.site.slug,
            "story": self.story,
            "url": self.url,
            "title": self.title,
            "sort": self.sort if self.sort != "newest" else None,
            "comment": self.focus,
            "lang": self.lang,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def parse_params(request: HttpRequest) -> FrameParams:
    """Read the frame's parameters from the query string.

    Raises:
        Http404: no such site, or no story key.
    """
    get = request.GET
    site = Site.objects.filter(slug=get.get("site", "")).first()
    story = get.get("story", "").strip()[:200]
    if site is None or not story:
        raise Http404("No such discussion.")
    sort = get.get("sort", "newest")
    comment = get.get("comment", "")
    return FrameParams(
        site=site,
        story=story,
        url=_http_url(get.get("url", ""))[:1000],
        title=get.get("title", "").strip()[:300],
        sort=sort if sort in SORTS else "newest",
        focus=int(comment) if comment.isdigit() and len(comment) < 19 else None,
        cursor=get.get("cursor") or None,
        sso=get.get("sso") == "1",
        limit=_limit(get.get("limit", "")),
        lang=requested_language(get.get("lang", "")) or "",
    )


def _limit(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 4:
        return DEFAULT_LIMIT
    return min(max(int(raw), 1), MAX_LIMIT)


def _http_url(raw: str) -> str:
    raw = raw.strip()
    return raw if urlsplit(raw).scheme in ("http", "https") else ""


def count_label(n: int) -> str:
    """``(1) comment``, ``(2) comments``."""
    return ngettext("(%(n)d) comment", "(%(n)d) comments", n) % {"n": n}


def ago(when: datetime, now: datetime | None = None) -> str:
    """``just now``, ``5 minutes ago``, ``3 days ago``: one unit, as comment sections do."""
    now = now or timezone.now()
    if (now - when).total_seconds() < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(when, now, depth=1)}


def guideline_titles(site: Site) -> dict[str, str]:
    titles = {k: str(v) for k, v in _HOUSE_RULES.items()}
    titles.update({g["key"]: g["title"] for g in site.guidelines if "key" in g and "title" in g})
    return titles


def report_reasons(site: Site) -> list[dict[str, str]]:
    """The report form's choices, each labelled by the guideline it invokes."""
    titles = guideline_titles(site)
    out = []
    for reason in Reason:
        key = REASON_GUIDELINE[reason]
        title = titles.get(key, "") if key else ""
        label = str(reason.label)
        detail = label if key else ""
        out.append({"value": reason.value, "title": title or label, "detail": detail})
    return out


def permalink(article_url: str, comment_id: int) -> str:
    """The article's URL with ``?comment=ID``, replacing any earlier one."""
    if not article_url:
        return ""
    parts = urlsplit(article_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "comment"]
    query.append(("comment", str(comment_id)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def viewer(request: HttpRequest) -> User | None:
    """The reader: their session, or the bearer token the iframe holds after SSO."""
    try:
        return caller(request)
    except ApiError:
        return None  # an expired embed token reads as signed out; the iframe signs in again


def display_name(user: User, site: Site) -> str:
    name = (
        Membership.objects.filter(user=user, site=site).values_list("display_name", flat=True)
    ).first()
    return name or (user.email or "reader").split("@")[0]


def thread_context(params: FrameParams, user: User | None) -> dict[str, Any]:
    """Everything ``embed/_thread.html`` renders.

    A permalink to a comment that is gone falls back to the whole discussion with
    a note, rather than an error page inside someone's article.
    """
    missing = False
    query = ThreadQuery(
        site=params.site,
        story_key=params.story,
        viewer=user,
        sort=params.sort,
        cursor=params.cursor,
        focus=params.focus,
        limit=params.limit,
    )
    try:
        payload = build_thread(query)
    except ApiError as exc:
        if exc.status == 404 and params.focus is not None:
            missing = True
            params = replace(params, focus=None, cursor=None)
            payload = build_thread(
                ThreadQuery(site=params.site, story_key=params.story, viewer=user, sort=params.sort)
            )
        elif exc.code == "invalid_cursor":
            raise Http404("No such page of comments.") from None
        else:
            raise
    article_url = payload["story"]["url"] or params.url
    titles = guideline_titles(params.site)
    report_titles = {r["value"]: r["title"] for r in report_reasons(params.site)}
    raw, marked = _own_bodies(payload["comments"], user)
    edit_deadline = timezone.now() - timedelta(minutes=params.site.edit_window_minutes)
    closed = payload["story"]["closed"]
    for c in _walk(payload["comments"]):
        c["created"] = datetime.fromisoformat(c["created_at"])
        c["ago"] = ago(c["created"])
        c["permalink"] = permalink(article_url, c["id"])
        c["highlight"] = c["id"] == params.focus
        held = [titles.get(r.get("guideline", ""), "") for r in c.get("reasons", []) or []]
        c["held_under"] = [t for t in dict.fromkeys(held) if t]
        if c.get("correction"):
            c["correction"]["link"] = _http_url(c["correction"].get("link") or "")
        if c.get("my_report"):
            report = c["my_report"]
            report["title"] = report_titles.get(report.get("reason", ""), "")
            report["said"] = REPORT_OUTCOMES.get(report.get("outcome", ""), "")
        live = c["status"] in (Status.PUBLISHED, Status.PENDING)
        c["can_reply"] = live and not closed and c["depth"] < params.site.max_reply_depth
        c["can_react"] = c["status"] == Status.PUBLISHED and not c["own"]
        c["can_report"] = (
            c["status"] == Status.PUBLISHED and not c["own"] and not c.get("my_report")
        )
        c["can_mute"] = (
            user is not None
            and not c["own"]
            and bool(c.get("author"))
            and c["author"].get("id") not in (None, user.pk)
        )
        c["can_appeal"] = (
            user is not None
            and c["own"]
            and c["status"] in (Status.PENDING, Status.REJECTED)
            and not c.get("appeal")
        )
        c["can_edit"] = c["own"] and c["created"] > edit_deadline and c["id"] in raw
        c["raw_body"] = raw.get(c["id"], "")
        c["eyewitness"] = c["id"] in marked
        c["can_mark_eyewitness"] = (
            c["own"] and c["status"] == Status.PUBLISHED and c["id"] in raw and not c["eyewitness"]
        )
    return {
        "params": params,
        "story": payload["story"],
        "count_label": count_label(payload["story"]["comment_count"]),
        "comments": payload["comments"],
        "next_cursor": payload["next_cursor"],
        "focus": params.focus,
        "all_query": params.query(comment=None),
        "missing": missing,
        "sorts": [
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("top", _("Most liked")),
        ],
    }


def _walk(comments: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    out = []
    for c in comments:
        c["depth"] = depth
        out.append(c)
        out.extend(_walk(c["replies"], depth + 1))
    return out


def _own_bodies(
    comments: list[dict[str, Any]], user: User | None
) -> tuple[dict[int, str], set[int]]:
    """The Markdown source of the reader's own comments, to fill the Edit box, and
    which of them they have marked as eyewitness accounts: one query."""
    if user is None:
        return {}, set()
    own = [c["id"] for c in _walk(comments) if c["own"]]
    if not own:
        return {}, set()
    rows = (
        Comment.objects.filter(pk__in=own, author__user=user)
        .annotate(marked=Exists(Tip.objects.filter(comment_id=OuterRef("pk"))))
        .values_list("pk", "body", "marked")
    )
    bodies, marked = {}, set()
    for pk, body, is_marked in rows:
        bodies[pk] = body
        if is_marked:
            marked.add(pk)
    return bodies, marked


def compose_context(params: FrameParams, user: User | None) -> dict[str, Any]:
    """Everything ``embed/_compose.html`` renders."""
    return {
        "params": params,
        "viewer": user,
        "display_name": display_name(user, params.site) if user is not None else "",
        "max_length": params.site.max_comment_length,
    }


def content_security_policy(site: Site | None) -> str:
    """The frame's CSP: our own scripts and styles only; framed by the site's origins."""
    ancestors = ["'self'"]
    if site is not None:
        ancestors += [o.rstrip("/") for o in site.allowed_origins if _ORIGIN.match(o.rstrip("/"))]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            "frame-ancestors " + " ".join(ancestors),
        ]
    )
