from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "townhall.comments"
    label = "comments"
    verbose_name = _("Comments")

    def ready(self) -> None:
        from townhall.comments import signals  # noqa: F401 - connects the receivers
