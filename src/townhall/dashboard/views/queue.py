"""The queues: pages of cards, and the decisions taken on them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from townhall.accounts.models import Membership
from townhall.api.errors import ApiError
from townhall.dashboard import services
from townhall.dashboard.access import is_htmx, site_page
from townhall.dashboard.views.common import QUEUE_LABELS, chrome, error_response, toast
from townhall.review.services import (
    COMMENT_ACTIONS,
    QUEUES,
    USER_ACTIONS,
    QueueQuery,
    list_queue,
    moderate_comment,
    moderate_user,
    queue_counts,
    revert_last,
)
from townhall.sites.models import Site

PAGE_SIZE = 25
_DONE_LABELS = {
    "approve": gettext_lazy("Approved"),
    "reject": gettext_lazy("Rejected"),
    "feature": gettext_lazy("Featured"),
    "unfeature": gettext_lazy("Unfeatured"),
}


def _filters(request: HttpRequest) -> dict[str, Any]:
    author = request.GET.get("author", "")
    return {
        "story": request.GET.get("story", "").strip()[:200],
        "guideline": request.GET.get("guideline", ""),
        "author": int(author) if author.isdigit() else None,
        "order": "oldest" if request.GET.get("order") == "oldest" else "newest",
    }


def _page(request: HttpRequest, site: Site, queue: str) -> dict[str, Any]:
    if queue not in QUEUES:
        raise Http404("No such queue.")
    filters = _filters(request)
    if filters["guideline"] not in dict(services.guideline_choices(site)):
        filters["guideline"] = ""
    result = list_queue(
        QueueQuery(
            site=site,
            queue=queue,
            story=filters["story"] or None,
            guideline=filters["guideline"] or None,
            author=filters["author"],
            order=filters["order"],
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    )
    now = timezone.now()
    cards = [services.card(item, site, now) for item in result["comments"]]
    query = {k: v for k, v in filters.items() if v and not (k == "order" and v == "newest")}
    author_name = next(
        (c["author"]["display_name"] for c in cards if c["author"] and filters["author"]), ""
    )
    return {
        "queue": queue,
        "queue_label": QUEUE_LABELS[queue],
        "cards": cards,
        "counts": result["counts"],
        "count": result["counts"][queue],
        "filters": filters,
        "author_name": author_name,
        "query": urlencode(query),
        "next_cursor": result["next_cursor"],
        "guidelines": services.guideline_choices(site),
        "suspensions": services.SUSPENSIONS,
        "cards_url": reverse("dashboard:queue-cards", args=[site.slug, queue]),
    }


@require_GET
@site_page
def site_home(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    return HttpResponseRedirect(reverse("dashboard:queue", args=[site.slug, "pending"]))


def _render_queue(
    request: HttpRequest, site: Site, membership: Membership | None, queue: str, template: str
) -> HttpResponse:
    try:
        page = _page(request, site, queue)
    except ApiError as exc:
        return error_response(request, exc)
    context = {**chrome(request, site, membership, "queue", page["counts"]), **page}
    context["partial"] = template.endswith("cards.html")
    return render(request, template, context)


@require_GET
@site_page
def queue_page(
    request: HttpRequest, site: Site, membership: Membership | None, queue: str
) -> HttpResponse:
    """A queue page: filters, cards, and the keyboard help."""
    return _render_queue(request, site, membership, queue, "dashboard/queue.html")


@require_GET
@site_page
def queue_cards(
    request: HttpRequest, site: Site, membership: Membership | None, queue: str
) -> HttpResponse:
    """htmx: the next page of cards (with ``cursor``), or the whole list again."""
    return _render_queue(request, site, membership, queue, "dashboard/_partials/cards.html")


def _back(request: HttpRequest, site: Site) -> HttpResponse:
    target = request.POST.get("back", "")
    if not target.startswith(f"/dashboard/{site.slug}/"):
        target = reverse("dashboard:queue", args=[site.slug, "pending"])
    return HttpResponseRedirect(target)


def _nav(request: HttpRequest, site: Site, membership: Membership | None) -> dict[str, Any]:
    """The queue nav for an out-of-band swap, the current queue taken from ``back``."""
    match = re.search(r"/queue/(\w+)/", request.POST.get("back", ""))
    return {
        **chrome(request, site, membership, "queue", queue_counts(site)),
        "queue": match.group(1) if match else "",
    }


def _done(
    request: HttpRequest,
    site: Site,
    membership: Membership | None,
    done: list[dict[str, Any]],
    message: str,
    oob: bool,
) -> HttpResponse:
    """The notes that replace decided cards (each swapped out of band when ``oob``),
    the queue counts, and a toast saying what was done."""
    context = {**_nav(request, site, membership), "done": done, "oob": oob}
    return toast(render(request, "dashboard/_partials/done.html", context), message)


@require_POST
@site_page
def comment_action(
    request: HttpRequest, site: Site, membership: Membership | None, comment_id: int, action: str
) -> HttpResponse:
    """Approve, reject, feature or unfeature one comment; htmx swaps its card for a note."""
    if action not in COMMENT_ACTIONS:
        raise Http404("No such action.")
    if not site.comments.filter(pk=comment_id).exists():
        return error_response(request, ApiError(404, "comment_not_found", _("No such comment.")))
    try:
        comment = moderate_comment(
            comment_id,
            request.user,  # type: ignore[arg-type]
            action,
            guideline=request.POST.get("guideline") or None,
            note=request.POST.get("note", "")[:2000],
        )
    except ApiError as exc:
        return error_response(request, exc)
    if not is_htmx(request):
        return _back(request, site)
    label = _DONE_LABELS[action]
    done = [{"id": comment.pk, "label": label, "body": comment.body}]
    message = _("%(action)s comment %(id)s.") % {"action": label, "id": comment.pk}
    return _done(request, site, membership, done, message, oob=False)


@require_POST
@site_page
def bulk_action(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """Approve or reject every selected card; htmx swaps each one out of band."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()][:200]
    action = request.POST.get("action", "")
    if not ids:
        return error_response(
            request, ApiError(422, "nothing_selected", _("Select cards first (x)."))
        )
    try:
        result = services.bulk_moderate(
            site,
            request.user,
            ids,
            action,
            request.POST.get("guideline") or None,  # type: ignore[arg-type]
        )
    except ApiError as exc:
        return error_response(request, exc)
    if not is_htmx(request):
        return _back(request, site)
    label = _DONE_LABELS[action]
    bodies = dict(site.comments.filter(pk__in=result.done).values_list("pk", "body"))
    done = [{"id": i, "label": label, "body": bodies.get(i, "")} for i in result.done]
    n = len(result.done)
    message = ngettext("%(done)s %(n)d comment.", "%(done)s %(n)d comments.", n) % {
        "done": label,
        "n": n,
    }
    if result.failed:
        message += " " + _("%(n)d could not be: %(why)s") % {
            "n": len(result.failed),
            "why": next(iter(result.failed.values())),
        }
    return _done(request, site, membership, done, message, oob=True)


@require_POST
@site_page
def user_action(
    request: HttpRequest, site: Site, membership: Membership | None, user_id: int, action: str
) -> HttpResponse:
    """Suspend (1, 7 or 30 days), ban or reinstate a reader of this site."""
    if action not in USER_ACTIONS:
        raise Http404("No such action.")
    try:
        until = services.suspension_until(request.POST.get("days")) if action == "suspend" else None
        target = moderate_user(
            site,
            user_id,
            request.user,  # type: ignore[arg-type]
            action,
            until=until,
            note=request.POST.get("note", "")[:2000],
        )
    except ApiError as exc:
        return error_response(request, exc)
    if not is_htmx(request):
        return _back(request, site)
    context = {
        "site": site,
        "author": {
            "id": target.user_id,
            "display_name": target.display_name,
            "status": target.standing(),
            "suspended_until": target.suspended_until,
            "role": target.role,
        },
        "suspensions": services.SUSPENSIONS,
    }
    response = render(request, "dashboard/_partials/standing.html", context)
    said = {
        "suspend": _("%(name)s suspended."),
        "ban": _("%(name)s banned."),
        "reinstate": _("%(name)s reinstated."),
    }[action]
    return toast(response, said % {"name": target.display_name})


@require_POST
@site_page
def undo(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """Undo this moderator's last decision on the site; the queue reloads."""
    try:
        result = revert_last(request.user, site)  # type: ignore[arg-type]
    except ApiError as exc:
        return error_response(request, exc)
    if not is_htmx(request):
        return _back(request, site)
    if result is None:
        message = _("Nothing to undo.")
    else:
        message = _("Undone: comment %(id)s is %(status)s again.") % {
            "id": result.pk,
            "status": result.status,
        }
    return toast(HttpResponse(status=204), message, **{"queue-changed": True})
