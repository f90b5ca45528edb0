"""The two pages a mailed link opens: confirming an email, choosing a new password."""

from __future__ import annotations

from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from townhall.accounts import mail


def verify_email(request: HttpRequest) -> HttpResponse:
    user = mail.verify(request.GET.get("token", ""))
    return render(
        request, "accounts/verified.html", {"ok": user is not None}, status=200 if user else 400
    )


def reset_password(request: HttpRequest) -> HttpResponse:
    uid = request.GET.get("uid", "")
    token = request.GET.get("token", "")
    user = mail.user_for_reset(uid, token)
    if user is None:
        return render(request, "accounts/reset.html", {"invalid": True}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return render(request, "accounts/reset.html", {"done": True})
    return render(request, "accounts/reset.html", {"form": form})
