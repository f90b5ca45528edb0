"""Real townhall installs and servers for the fault tests, and the load they carry."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests import install
from tests.conftest import CLASSIFIER_OFF_SCRIPT
from tests.install import PASSWORD, Server

__all__ = ["PASSWORD", "SITE", "Install", "Outcome", "Server", "post_comment", "posters"]

SITE = "paper"


class Install(install.Install):
    """An install for the fault tests: the shared file cache, Redis only when given."""

    def __init__(self, data_dir: Path, database_url: str, **env: str) -> None:
        super().__init__(data_dir, database_url, **{"TOWNHALL_CACHE": "file", **env})

    def prepare(self, people: int = 1, moderators: int = 0) -> list[str]:
        """Create the site, ``people`` commenters and ``moderators``; return their API
        tokens (commenters first). The database must be migrated already."""
        accounts = [(f"Reader {i}", "commenter", "people") for i in range(people)]
        accounts += [(f"Editor {i}", "moderator", "editors") for i in range(moderators)]
        tokens = self.create(
            SITE,
            "The Paper",
            accounts,
            origin="https://paper.example",
            then=CLASSIFIER_OFF_SCRIPT,
        )
        return tokens.get("people", []) + tokens.get("editors", [])


@dataclass(frozen=True)
class Failure:
    """A 5xx answer, kept whole enough to judge whether it was a clean one."""

    status: int
    content_type: str
    text: str
    retry_after: str | None

    def error(self) -> dict[str, Any]:
        """The API's error object; fails the test on any other shape."""
        assert self.content_type.startswith("application/json"), (self.status, self.text)
        error = json.loads(self.text)["error"]
        assert error["code"] and error["message"], self.text
        return error


@dataclass
class Outcome:
    """What the load saw: every status, the comments acknowledged, every 5xx."""

    statuses: list[int] = field(default_factory=list)
    acknowledged: dict[int, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: httpx.Response, body: str | None = None) -> None:
        with self.lock:
            self.statuses.append(response.status_code)
            if response.status_code == 201 and body is not None:
                self.acknowledged[response.json()["id"]] = body
            elif response.status_code >= 500:
                self.failures.append(
                    Failure(
                        response.status_code,
                        response.headers.get("content-type", ""),
                        response.text[:500],
                        response.headers.get("retry-after"),
                    )
                )


def post_comment(
    client: httpx.Client, api: str, token: str, body: str, story: str = "s1"
) -> httpx.Response:
    return client.post(
        api + "/comments",
        headers={"Authorization": f"Bearer {token}"},
        json={"site": SITE, "story": story, "body": body},
    )


def posters(
    api: str,
    tokens: Sequence[str],
    stop: threading.Event,
    outcome: Outcome,
    threads: int = 12,
    tag: str = "",
    pause: float = 0.0,
) -> list[threading.Thread]:
    """Start ``threads`` posters that post unique comments until ``stop`` is set.

    A connection error (the server is gone) is not a status: it ends nothing, the
    poster tries again, and the comment it was sending is simply not acknowledged.
    """

    def work(n: int) -> None:
        token = tokens[n % len(tokens)]
        with httpx.Client(timeout=30) as client:
            i = 0
            while not stop.is_set():
                i += 1
                body = f"Comment {tag}{n}-{i}: the harbour story needs a follow-up."
                try:
                    outcome.record(post_comment(client, api, token, body, f"s{n % 3}"), body)
                except httpx.TransportError:
                    time.sleep(0.05)
                if pause:
                    time.sleep(pause)

    started = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(threads)]
    for t in started:
        t.start()
    return started
