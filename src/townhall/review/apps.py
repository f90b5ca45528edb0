from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "townhall.review"
    label = "review"

    def ready(self) -> None:
        from townhall.review import signals  # noqa: F401 - connects the receivers
