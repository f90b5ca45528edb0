"""The newsroom's other inboxes: debunked claims, tips (Share with Us) and appeals.

Each view calls one ``review`` service and renders.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townhall.accounts.models import Membership
from townhall.api.errors import ApiError
from townhall.dashboard.access import is_htmx, site_page
from townhall.dashboard.forms import ClaimForm
from townhall.dashboard.views.common import chrome, error_response, toast
from townhall.review import appeals, claims, tips
from townhall.sites.models import Site

TIP_STATES = (
    ("new", gettext_lazy("New")),
    ("followed_up", gettext_lazy("Followed up")),
    ("closed", gettext_lazy("Closed")),
)
APPEAL_STATES = (("open", "Open"), ("granted", "Granted"), ("denied", "Denied"))


@require_http_methods(["GET", "POST"])
@site_page
def claims_page(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                claims.add_claim(site, request.user, **form.cleaned_data)
            except ApiError as exc:
                form.add_error(None, exc.message)
            else:
                return HttpResponseRedirect(reverse("dashboard:claims", args=[site.slug]))
        status = 422
    context = {
        **chrome(request, site, membership, "claims"),
        "form": form,
        "claims": claims.list_claims(site),
    }
    return render(request, "dashboard/claims.html", context, status=status)


@require_POST
@site_page
def claim_active(
    request: HttpRequest, site: Site, membership: Membership | None, claim_id: int
) -> HttpResponse:
    if not site.debunked_claims.filter(pk=claim_id).exists():
        return error_response(request, ApiError(404, "claim_not_found", _("No such claim.")))
    active = request.POST.get("active") == "1"
    try:
        claim = claims.set_active(claim_id, request.user, active)
    except ApiError as exc:
        return error_response(request, exc)
    if not is_htmx(request):
        return HttpResponseRedirect(reverse("dashboard:claims", args=[site.slug]))
    response = render(request, "dashboard/_partials/claim.html", {"site": site, "claim": claim})
    return toast(response, _("Claim reactivated.") if active else _("Claim deactivated."))


@require_GET
@site_page
def tips_page(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    state = request.GET.get("state", "new")
    state = state if state in dict(TIP_STATES) else None
    context = {
        **chrome(request, site, membership, "tips"),
        "tips": tips.list_tips(site, state=state),
        "state": state or "",
        "states": TIP_STATES,
    }
    return render(request, "dashboard/tips.html", context)


@require_POST
@site_page
def tip_state(
    request: HttpRequest, site: Site, membership: Membership | None, tip_id: int
) -> HttpResponse:
    if not site.tips.filter(pk=tip_id).exists():
        return error_response(request, ApiError(404, "tip_not_found", _("No such tip.")))
    try:
        tip = tips.set_tip_state(
            tip_id, request.user, request.POST.get("state", ""), note=request.POST.get("note", "")
        )
    except ApiError as exc:
        return error_response(request, exc)
    if not is_htmx(request):
        return HttpResponseRedirect(reverse("dashboard:tips", args=[site.slug]))
    context = {"site": site, "tip": tip, "states": TIP_STATES}
    response = render(request, "dashboard/_partials/tip.html", context)
    return toast(
        response,
        _("Tip %(id)s: %(state)s.")
        % {"id": tip_id, "state": dict(TIP_STATES).get(tip.state, tip.state)},
    )


@require_GET
@site_page
def appeals_page(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    state = request.GET.get("state", "open")
    state = state if state in dict(APPEAL_STATES) else "open"
    context = {
        **chrome(request, site, membership, "appeals"),
        "appeals": appeals.list_appeals(site, state=state),
        "state": state,
        "states": APPEAL_STATES,
    }
    return render(request, "dashboard/appeals.html", context)


@require_POST
@site_page
def appeal_decide(
    request: HttpRequest, site: Site, membership: Membership | None, appeal_id: int
) -> HttpResponse:
    if not site.appeals.filter(pk=appeal_id).exists():
        return error_response(request, ApiError(404, "appeal_not_found", _("No such appeal.")))
    grant = request.POST.get("grant") == "1"
    try:
        appeals.decide_appeal(appeal_id, request.user, grant, request.POST.get("answer", ""))
    except ApiError as exc:
        return error_response(request, exc)
    if not is_htmx(request):
        return HttpResponseRedirect(reverse("dashboard:appeals", args=[site.slug]))
    response = HttpResponse(
        format_html(
            '<li class="card card--done" role="status">{}</li>',
            (_("Appeal %(id)s granted.") if grant else _("Appeal %(id)s denied."))
            % {"id": appeal_id},
        )
    )
    said = _("Appeal %(id)s granted.") if grant else _("Appeal %(id)s denied.")
    return toast(response, said % {"id": appeal_id})
