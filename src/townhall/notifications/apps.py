from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "townhall.notifications"
    label = "notifications"
    verbose_name = _("Email notifications")

    def ready(self) -> None:
        from townhall.notifications import receivers  # noqa: F401 - connects the signal
