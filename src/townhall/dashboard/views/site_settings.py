"""The site's settings: guidelines, thresholds with a live preview, rules, moderators."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from townhall.accounts.models import Membership
from townhall.api.errors import ApiError
from townhall.dashboard import services
from townhall.dashboard.access import is_htmx, site_page
from townhall.dashboard.forms import SettingsForm, ThresholdsForm
from townhall.dashboard.views.common import chrome, toast
from townhall.review.preview import preview_thresholds
from townhall.sites.config import update_site
from townhall.sites.models import Site

PREVIEW_LAST = 500


def _context(
    request: HttpRequest, site: Site, membership: Membership | None, form: SettingsForm
) -> dict[str, Any]:
    return {
        **chrome(request, site, membership, "settings"),
        "form": form,
        "moderators": services.list_moderators(site),
    }


@require_http_methods(["GET", "POST"])
@site_page
def settings_page(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """Show the settings; on POST save them through ``sites.config.update_site``."""
    if request.method == "POST":
        form = SettingsForm(request.POST, site=site)
        if form.is_valid():
            try:
                update_site(site, request.user, form.changes())  # type: ignore[arg-type]
            except ApiError as exc:
                form.add_error(None, exc.message)
            else:
                saved = reverse("dashboard:settings", args=[site.slug]) + "?saved=1"
                return HttpResponseRedirect(saved)
        status = 422
    else:
        form = SettingsForm(initial=SettingsForm.initial_for(site), site=site)
        status = 200
    context = _context(request, site, membership, form)
    context["saved"] = request.GET.get("saved") == "1"
    return render(request, "dashboard/settings.html", context, status=status)


@require_POST
@site_page
def preview(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """htmx: how the last 500 comments would have fared under the thresholds on the form."""
    form = ThresholdsForm(request.POST)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        # The preview replays scores in [0, 1]: an attribute switched off holds nothing.
        hold, reject = ({a: min(v, 1.0) for a, v in m.items()} for m in form.thresholds())
        saved_hold, saved_reject = (
            {a: min(float(v), 1.0) for a, v in (m or {}).items()}
            for m in (site.hold_thresholds, site.reject_thresholds)
        )
        try:
            context["preview"] = preview_thresholds(site, hold, reject, last=PREVIEW_LAST)
            context["current"] = preview_thresholds(
                site, saved_hold, saved_reject, last=PREVIEW_LAST
            )
        except ApiError as exc:
            context["error"] = exc.message
    return render(request, "dashboard/_partials/preview.html", context)


@require_POST
@site_page
def moderators(request: HttpRequest, site: Site, membership: Membership | None) -> HttpResponse:
    """Add a moderator by email, or remove one (``remove=<user id>``)."""
    message = ""
    error = ""
    try:
        if request.POST.get("remove", "").isdigit():
            gone = services.remove_moderator(site, request.user, int(request.POST["remove"]))  # type: ignore[arg-type]
            message = gettext("%(name)s no longer moderates %(site)s.") % {
                "name": gone.display_name,
                "site": site.name,
            }
        else:
            added = services.add_moderator(site, request.user, request.POST.get("email", ""))  # type: ignore[arg-type]
            message = gettext("%(name)s now moderates %(site)s.") % {
                "name": added.display_name,
                "site": site.name,
            }
    except ApiError as exc:
        error = exc.message
    if not is_htmx(request):
        return HttpResponseRedirect(reverse("dashboard:settings", args=[site.slug]))
    context = {
        "site": site,
        "moderators": services.list_moderators(site),
        "error": error,
        "me": request.user,
    }
    response = render(
        request, "dashboard/_partials/moderators.html", context, status=422 if error else 200
    )
    return toast(response, message) if message else response
