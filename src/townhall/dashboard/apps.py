from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The newsroom's moderation dashboard: server-rendered pages and htmx partials."""

    name = "townhall.dashboard"
    label = "dashboard"
    verbose_name = _("Newsroom dashboard")
