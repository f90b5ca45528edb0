"""The moderation API: queues, decisions on comments and people, and the pre-post check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Body, Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from townhall.accounts.models import Membership
from townhall.api.auth import caller, require_caller
from townhall.api.errors import ApiError
from townhall.comments.services import get_site
from townhall.lib import ratelimit
from townhall.lib.net import client_ip, ip_hash
from townhall.review import appeals, claims, services, tips
from townhall.review.judge import judge
from townhall.review.models import AuditEntry, DebunkedClaim
from townhall.review.preview import preview_thresholds
from townhall.sites import config, stories

router = Router(tags=["moderation"])


class QueueParams(Schema):
    site: str = Field(max_length=50)
    queue: str = Field(default="pending", max_length=16)
    story: str | None = Field(default=None, max_length=200)
    guideline: str | None = Field(default=None, max_length=16)
    author: int | None = None
    order: str = Field(default="newest", max_length=8)
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = 50


class CommentAction(Schema):
    action: str = Field(max_length=16)
    guideline: str | None = Field(default=None, max_length=16)
    note: str = Field(default="", max_length=2000)


class UserAction(Schema):
    site: str = Field(max_length=50)
    action: str = Field(max_length=16)
    until: datetime | None = None
    note: str = Field(default="", max_length=2000)


@router.get("/moderation/queue")
def queue(request: HttpRequest, q: Query[QueueParams]) -> dict[str, Any]:
    """A page of one queue, with live counts of every queue. Moderators of the site only."""
    site = get_site(q.site)
    services.require_moderator(caller(request), site)
    return services.list_queue(
        services.QueueQuery(
            site=site,
            queue=q.queue,
            story=q.story,
            guideline=q.guideline,
            author=q.author,
            order=q.order,
            cursor=q.cursor,
            limit=q.limit,
        )
    )


@router.post("/moderation/comments/{comment_id}")
def act_on_comment(request: HttpRequest, comment_id: int, data: CommentAction) -> dict[str, Any]:
    """``approve``, ``reject`` (naming the ``guideline`` the author is told), ``feature``,
    ``unfeature``."""
    c = services.moderate_comment(
        comment_id, caller(request), data.action, data.guideline, data.note
    )
    return {"id": c.pk, "status": c.status, "featured": c.featured, "reasons": c.reasons}


@router.post("/moderation/users/{user_id}")
def act_on_user(request: HttpRequest, user_id: int, data: UserAction) -> dict[str, Any]:
    """``suspend`` (``until``, a day by default), ``ban`` or ``reinstate`` on one site."""
    m = services.moderate_user(
        get_site(data.site), user_id, caller(request), data.action, data.until, data.note
    )
    return {
        "id": m.user_id,
        "site": data.site,
        "status": m.status,
        "suspended_until": m.suspended_until.isoformat() if m.suspended_until else None,
    }


# --- the newsroom's systems (CMS) and the dashboard's own calls ------------------


class StoryState(Schema):
    site: str = Field(max_length=50)
    story: str = Field(max_length=200)
    closed: bool


@router.post("/moderation/stories")
def set_story_state(request: HttpRequest, data: StoryState) -> dict[str, Any]:
    """Close a story to new comments, or reopen it."""
    site = get_site(data.site)
    story = stories.set_closed(site, data.story, caller(request), data.closed)
    return {"key": story.key, "closed": story.closed, "comment_count": story.comment_count}


@router.get("/moderation/settings")
def read_settings(request: HttpRequest, site: str) -> dict[str, Any]:
    s = get_site(site)
    services.require_moderator(caller(request), s)
    return config.site_settings(s)


@router.patch("/moderation/settings")
def change_settings(request: HttpRequest, site: str, data: Body[dict[str, Any]]) -> dict[str, Any]:
    """Change any of the settings ``GET`` returns (but the slug); unknown keys are 422."""
    s = get_site(site)
    return config.site_settings(config.update_site(s, caller(request), data))


class ThresholdPreview(Schema):
    site: str = Field(max_length=50)
    hold: dict[str, float] = Field(default_factory=dict)
    reject: dict[str, float] = Field(default_factory=dict)


@router.post("/moderation/settings/preview")
def preview(request: HttpRequest, data: ThresholdPreview) -> dict[str, Any]:
    """What these thresholds would have done to the site's last 500 comments."""
    s = get_site(data.site)
    services.require_moderator(caller(request), s)
    return preview_thresholds(s, data.hold, data.reject)


class ClaimIn(Schema):
    site: str = Field(max_length=50)
    claim: str = Field(max_length=2000)
    correction: str = Field(default="", max_length=2000)
    link: str = Field(default="", max_length=200)


class ClaimState(Schema):
    active: bool


def _claim(c: DebunkedClaim) -> dict[str, Any]:
    return {
        "id": c.pk,
        "claim": c.claim,
        "correction": c.correction,
        "link": c.link,
        "active": c.active,
        "created_at": c.created_at.isoformat(),
    }


@router.get("/moderation/claims")
def get_claims(request: HttpRequest, site: str) -> dict[str, Any]:
    s = get_site(site)
    services.require_moderator(caller(request), s)
    return {"claims": [_claim(c) for c in claims.list_claims(s)]}


@router.post("/moderation/claims", response={201: dict})
def post_claim(request: HttpRequest, data: ClaimIn) -> Status[dict[str, Any]]:
    s = get_site(data.site)
    return Status(
        201, _claim(claims.add_claim(s, caller(request), data.claim, data.correction, data.link))
    )


@router.post("/moderation/claims/{claim_id}")
def toggle_claim(request: HttpRequest, claim_id: int, data: ClaimState) -> dict[str, Any]:
    return _claim(claims.set_active(claim_id, caller(request), data.active))


class AuditParams(Schema):
    site: str = Field(max_length=50)
    action: str | None = Field(default=None, max_length=40)
    before: int | None = None
    limit: int = 100


@router.get("/moderation/audit")
def audit_log(request: HttpRequest, q: Query[AuditParams]) -> dict[str, Any]:
    """The site's audit log, newest first; page with ``before`` = the last id seen."""
    s = get_site(q.site)
    services.require_moderator(caller(request), s)
    if not 1 <= q.limit <= 500:
        raise ApiError(400, "invalid_limit", gettext("limit must be between 1 and 500."))
    rows = AuditEntry.objects.filter(site=s).select_related("actor", "subject").order_by("-pk")
    if q.action:
        rows = rows.filter(action=q.action)
    if q.before:
        rows = rows.filter(pk__lt=q.before)
    page = list(rows[: q.limit])
    return {
        "entries": [audit_row(e) for e in page],
        "next_before": page[-1].pk if len(page) == q.limit else None,
    }


def audit_row(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": e.created_at.isoformat(),
        "action": e.action,
        "actor_kind": e.actor_kind,
        "actor": e.actor.email if e.actor else None,
        "comment_id": e.comment_id,
        "subject_id": e.subject_id,
        "guideline": e.guideline,
        "note": e.note,
        "data": e.data,
    }


class TipState(Schema):
    state: str = Field(max_length=16)
    note: str = Field(default="", max_length=5000)


@router.get("/moderation/tips")
def get_tips(request: HttpRequest, site: str, state: str | None = None) -> dict[str, Any]:
    s = get_site(site)
    services.require_moderator(caller(request), s)
    return {
        "tips": [
            {
                "id": t.pk,
                "story": t.story_key,
                "body": t.body,
                "contact": t.contact,
                "state": t.state,
                "comment_id": t.comment_id,
                "note": t.note,
                "created_at": t.created_at.isoformat(),
            }
            for t in tips.list_tips(s, state)[:200]
        ]
    }


@router.post("/moderation/tips/{tip_id}")
def change_tip(request: HttpRequest, tip_id: int, data: TipState) -> dict[str, Any]:
    t = tips.set_tip_state(tip_id, caller(request), data.state, data.note)
    return {"id": t.pk, "state": t.state}


class AppealAnswer(Schema):
    grant: bool
    answer: str = Field(max_length=5000)


@router.get("/moderation/appeals")
def get_appeals(request: HttpRequest, site: str, state: str = "open") -> dict[str, Any]:
    s = get_site(site)
    services.require_moderator(caller(request), s)
    return {
        "appeals": [
            {
                "id": a.pk,
                "comment_id": a.comment_id,
                "story": a.comment.story.key,
                "body": a.comment.body,
                "reasons": a.comment.reasons,
                "note": a.note,
                "state": a.state,
                "answer": a.answer,
                "created_at": a.created_at.isoformat(),
            }
            for a in appeals.list_appeals(s, state or None)[:200]
        ]
    }


@router.post("/moderation/appeals/{appeal_id}")
def answer_appeal(request: HttpRequest, appeal_id: int, data: AppealAnswer) -> dict[str, Any]:
    a = appeals.decide_appeal(appeal_id, caller(request), data.grant, data.answer)
    return {"id": a.pk, "state": a.state, "answer": a.answer}


# --- readers ---------------------------------------------------------------------


class TipIn(Schema):
    site: str = Field(max_length=50)
    story: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=20_000)
    contact: str = Field(default="", max_length=300)
    comment_id: int | None = None


@router.post("/tips", response={201: dict}, tags=["comments"])
def send_tip(request: HttpRequest, data: TipIn) -> Status[dict[str, Any]]:
    """Share with Us: a private note to the newsroom, or mark one's comment as an
    eyewitness account (``comment_id``)."""
    t = tips.submit_tip(
        get_site(data.site),
        caller(request),
        data.body,
        data.contact,
        data.story,
        data.comment_id,
        ip_hash(client_ip(request)),
    )
    return Status(201, {"id": t.pk, "message": gettext("Thank you. The newsroom will read this.")})


class AppealIn(Schema):
    note: str = Field(max_length=1000)


@router.post("/comments/{comment_id}/appeal", response={201: dict}, tags=["comments"])
def appeal(request: HttpRequest, comment_id: int, data: AppealIn) -> Status[dict[str, Any]]:
    """Ask once for a second look at one's held or rejected comment."""
    a = appeals.file_appeal(comment_id, require_caller(request), data.note)
    return Status(201, {"id": a.pk, "state": a.state})


class CheckIn(Schema):
    site: str = Field(max_length=50)
    body: str = Field(max_length=100_000)


@router.post("/moderation/check", tags=["comments"])
def check(request: HttpRequest, data: CheckIn) -> dict[str, Any]:
    """What the engine would decide about ``body`` on this site, saving nothing.

    The comment box calls it before posting to nudge a writer ("this may break
    Be Nice — edit or post anyway?").
    """
    site = get_site(data.site)
    user = caller(request)
    ratelimit.hit("check", str(user.pk) if user else ip_hash(client_ip(request)), 60, 60)
    membership = Membership.objects.filter(site=site, user=user).first() if user else None
    verdict = judge(site, data.body, membership)
    return {"decision": verdict.status, "reasons": verdict.reasons, "scores": verdict.scores}
