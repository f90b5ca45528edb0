import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townhall.settings")
django_application = get_asgi_application()

# Load the moderation model in each worker before it takes requests, so the
# first comment posted is not the one that waits for it.
from townhall.comments import fastpath  # noqa: E402
from townhall.live import stream as live_stream  # noqa: E402
from townhall.moderation import get_engine  # noqa: E402

get_engine()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Django, with live streams and unchanged anonymous thread reads answered first."""
    if scope["type"] == "http":
        if scope.get("path") == live_stream.PATH:
            # Held open for minutes at a time: a coroutine, never a worker thread.
            await live_stream.handle(scope, receive, send)
            return
        cached = fastpath.answer(scope)
        if cached is not None:
            status, headers, body = cached
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
    await django_application(scope, receive, send)
