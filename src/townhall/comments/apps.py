from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "townhall.comments"
    label = "comments"

    def ready(self) -> None:
        from townhall.comments import signals  # noqa: F401 - connects the receivers
