from django.apps import AppConfig


class EmbedConfig(AppConfig):
    name = "townhall.embed"
    label = "embed"
