from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "townhall.sites"
    label = "sites"
    verbose_name = _("Sites and stories")

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from townhall.sites.signals import cors_allow_site_origins

        check_request_enabled.connect(cors_allow_site_origins, dispatch_uid="townhall-cors")
