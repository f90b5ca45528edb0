"""The one-click unsubscribe link in every mail: no sign-in, the signed token is the key."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from townhall.notifications import preferences
from townhall.notifications.models import Kind


# Mail clients POST here without a CSRF token (RFC 8058); the signed token is what protects it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET or POST turns the mail's kind off; POST with ``resubscribe=1`` turns it back on."""
    found = preferences.read_token(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    user, kind = found
    on = request.method == "POST" and request.POST.get("resubscribe") == "1"
    preferences.update(user, {kind: on})
    response = render(
        request,
        "notifications/unsubscribe.html",
        {"kind": Kind(kind).label, "subscribed": on, "token": token},
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
