"""/metrics tells an operator what townhall is doing, and only an operator."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_metrics_count_requests_decisions_queues_and_cache(as_alice, gazette):
    gazette.premoderation = "all"
    gazette.save()
    as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "Held for review"})
    reader = Client()
    reader.get("/api/v1/comments", {"site": "gazette", "story": "s"})
    reader.get("/api/v1/comments", {"site": "gazette", "story": "s"})
    text = Client().get("/metrics").content.decode()
    assert (
        'townhall_http_requests_total{method="POST",route="/api/v1/comments",status="201"}' in text
    )
    assert (
        'townhall_moderation_decisions_total{action="comment.held",actor="engine",guideline="proactive"}'
        in text
    )
    assert 'townhall_moderation_queue{queue="pending",site="gazette"} 1.0' in text
    assert 'townhall_thread_cache_total{result="hit"}' in text
    assert "townhall_http_request_duration_seconds_bucket" in text


def test_metrics_are_not_public(db, monkeypatch):
    outsider = Client(REMOTE_ADDR="203.0.113.9")
    assert outsider.get("/metrics").status_code == 403
    monkeypatch.setenv("TOWNHALL_METRICS_TOKEN", "scrape-me-please")
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-please").status_code == 200
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer guess").status_code == 403
