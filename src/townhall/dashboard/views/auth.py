"""Signing in and out, and choosing a site."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from townhall.accounts import lockout, privacy
from townhall.api.errors import ApiError
from townhall.dashboard.access import forbidden, login_redirect, moderated_sites, secure
from townhall.dashboard.forms import LoginForm
from townhall.lib.net import client_ip


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/dashboard/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard:home")


@require_http_methods(["GET", "POST"])
@csrf_protect
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    headers: dict[str, str] = {}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        ip = client_ip(request)
        try:
            lockout.check(email, ip)
        except ApiError as exc:
            form.add_error(None, exc.message)
            status, headers = 429, exc.headers
        else:
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if user is not None and user.is_active:
                lockout.succeeded(email)
                privacy.record_ip(user, ip, "login")
                login(request, user)
                return HttpResponseRedirect(_next_url(request))
            lockout.failed(email, ip)
            form.add_error(None, _("Email or password is not right."))
            status = 401
    context = {"form": form, "next": _next_url(request)}
    response = render(request, "dashboard/login.html", context, status=status)
    for name, value in headers.items():
        response[name] = value
    return secure(response)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return secure(HttpResponseRedirect(reverse("dashboard:login")))


def home(request: HttpRequest) -> HttpResponse:
    """The sites one moderates; straight to the queue when there is only one."""
    if not request.user.is_authenticated:
        return secure(login_redirect(request))
    sites = moderated_sites(request.user)  # type: ignore[arg-type]
    if not sites:
        return forbidden(request, _("Your account moderates no site."))
    if len(sites) == 1:
        return secure(
            HttpResponseRedirect(reverse("dashboard:queue", args=[sites[0].slug, "pending"]))
        )
    return secure(render(request, "dashboard/sites.html", {"sites": sites}))
