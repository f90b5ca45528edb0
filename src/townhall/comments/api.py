"""The public comment API: threads, counts, posting, editing, reacting, reporting."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import Query, Router
from ninja.responses import NinjaJSONEncoder, Status
from pydantic import Field

from townhall.accounts.models import User
from townhall.api import schemas
from townhall.api.auth import caller, require_caller
from townhall.api.errors import ApiError
from townhall.comments import cache as thread_cache
from townhall.comments import services
from townhall.comments.threads import DEFAULT_LIMIT, ThreadQuery, build_thread, counts
from townhall.lib import metrics
from townhall.lib.net import client_ip, ip_hash
from townhall.reports import services as reports
from townhall.sites.models import Site

router = Router(tags=["comments"])
JSON = "application/json; charset=utf-8"
PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"


class ThreadParams(schemas.Schema):
    site: str = Field(max_length=50)
    story: str = Field(max_length=200)
    sort: str = Field(default="newest", max_length=10)
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = DEFAULT_LIMIT
    comment: int | None = None


@router.get("/comments")
def list_comments(request: HttpRequest, q: Query[ThreadParams], response: HttpResponse) -> Any:
    """A page of top-level comments with their replies, plus the caller's own pending ones.

    ``comment`` (a permalink) returns that comment's whole thread instead of a page.
    Anonymous reads are served from the shared cache with an ETag (``304`` when
    unchanged); signed-in reads are built for the caller and never cached.
    """
    viewer = caller(request)
    if viewer is not None:
        response["Cache-Control"] = "private, no-cache"
        return build_thread(_thread_query(services.get_site(q.site), q, viewer))
    site = thread_cache.cached_site(q.site)
    if site is None:
        raise ApiError(404, "site_not_found", gettext("No site “%(site)s”.") % {"site": q.site})
    sid = thread_cache.story_id(site, q.story)
    if sid is None:  # nothing to cache: the story has no comments yet
        return build_thread(_thread_query(site, q, None))
    key = thread_cache.payload_key(site, sid, (q.story, q.sort, q.cursor, q.limit, q.comment))
    etag = f'"{key[5:]}"'
    if request.headers.get("If-None-Match") == etag:
        metrics.THREAD_CACHE.labels("not_modified").inc()
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = etag
        return not_modified
    body = thread_cache.get(key)
    if body is None:
        metrics.THREAD_CACHE.labels("miss").inc()
        body = json.dumps(build_thread(_thread_query(site, q, None)), cls=NinjaJSONEncoder).encode()
        thread_cache.put(key, body)
    else:
        metrics.THREAD_CACHE.labels("hit").inc()
    answer = HttpResponse(body, content_type=JSON)
    answer["ETag"] = etag
    answer["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return answer


def _thread_query(site: Site, q: ThreadParams, viewer: User | None) -> ThreadQuery:
    return ThreadQuery(
        site=site,
        story_key=q.story,
        viewer=viewer,
        sort=q.sort,
        cursor=q.cursor,
        limit=q.limit,
        focus=q.comment,
    )


class CountsQuery(schemas.Schema):
    site: str
    story: list[str] = Field(default_factory=list, max_length=500)


@router.get("/counts")
def list_counts(request: HttpRequest, q: Query[CountsQuery]) -> Any:
    """Published comment counts for up to 500 stories in one request."""
    # Kept in the shared cache until a count on the site moves; the fast path
    # (comments.fastpath) answers from it before Django.
    site = thread_cache.cached_site(q.site)
    if site is None:
        raise ApiError(404, "site_not_found", gettext("No site “%(site)s”.") % {"site": q.site})
    key = thread_cache.counts_key(site, q.story)
    body = thread_cache.get(key)
    if body is None:
        metrics.COUNTS_CACHE.labels("miss").inc()
        body = json.dumps({"counts": counts(site, q.story)}, cls=NinjaJSONEncoder).encode()
        thread_cache.put(key, body)
    else:
        metrics.COUNTS_CACHE.labels("hit").inc()
    return HttpResponse(body, content_type=JSON)


@router.post("/comments", response={201: dict})
def post_comment(request: HttpRequest, data: schemas.CommentIn) -> Status[dict[str, Any]]:
    site = services.get_site(data.site)
    comment = services.post_comment(
        services.NewComment(
            site=site,
            story_key=data.story,
            body=data.body,
            user=caller(request),
            parent_id=data.parent_id,
            story_url=data.story_url,
            story_title=data.story_title,
            author_name=data.author_name,
            client=ip_hash(client_ip(request)),
        )
    )
    return Status(
        201,
        {
            "id": comment.pk,
            "status": comment.status,
            "reasons": comment.reasons,
            "body_html": comment.body_html,
            "parent_id": comment.parent_id,
        },
    )


@router.patch("/comments/{comment_id}")
def edit_comment(
    request: HttpRequest, comment_id: int, data: schemas.CommentEdit
) -> dict[str, Any]:
    comment = services.edit_comment(comment_id, require_caller(request), data.body)
    return {
        "id": comment.pk,
        "status": comment.status,
        "reasons": comment.reasons,
        "body_html": comment.body_html,
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }


@router.delete("/comments/{comment_id}", response={204: None})
def delete_comment(request: HttpRequest, comment_id: int) -> Status[None]:
    services.delete_comment(comment_id, require_caller(request))
    return Status(204, None)


@router.post("/comments/{comment_id}/react")
def react(request: HttpRequest, comment_id: int, data: schemas.ReactIn) -> dict[str, Any]:
    """Toggle the caller's like."""
    if data.kind != "like":
        raise ApiError(422, "invalid_kind", gettext('The only reaction is "like".'))
    liked, count = services.toggle_like(comment_id, require_caller(request))
    return {"liked": liked, "reactions": {"like": count}}


@router.post("/comments/{comment_id}/report", response={201: dict})
def report(request: HttpRequest, comment_id: int, data: schemas.ReportIn) -> Status[dict[str, Any]]:
    r = reports.report_comment(comment_id, require_caller(request), data.reason, data.note)
    return Status(201, {"id": r.pk, "reason": r.reason, "guideline": r.guideline})
