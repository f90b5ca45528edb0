from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.translation import gettext

from townhall.api.api import api
from townhall.api.errors import error_response
from townhall.lib.metrics import metrics_view

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view),
    path("account/", include("townhall.accounts.urls")),
    path("dashboard/", include("townhall.dashboard.urls")),
    path("notifications/", include("townhall.notifications.urls")),
    path("", include("townhall.embed.urls")),
    path("", include("townhall.demo.urls")),
]


def _not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", f"No API endpoint at {request.path}.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)  # type: ignore[arg-type]


def _bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Django's own refusals (body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields).
    if request.path.startswith("/api/"):
        from django.core.exceptions import RequestDataTooBig

        if isinstance(exception, RequestDataTooBig):
            return error_response(413, "too_large", gettext("The request body is too large."))
        return error_response(400, "bad_request", gettext("The request could not be read."))
    from django.views.defaults import bad_request

    return bad_request(request, exception)  # type: ignore[arg-type]


def _server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(500, "server_error", gettext("Something went wrong on our side."))
    from django.views.defaults import server_error

    return server_error(request)


handler400 = _bad_request
handler404 = _not_found
handler500 = _server_error
