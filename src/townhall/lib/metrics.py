"""Prometheus metrics: requests, latencies, moderation decisions, queue sizes, cache hits.

With several worker processes (``townhall serve`` sets ``PROMETHEUS_MULTIPROC_DIR``)
each process writes its counters to files there and a scrape adds them up.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from townhall.lib.net import client_ip

REQUESTS = Counter(
    "townhall_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "townhall_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DECISIONS = Counter(
    "townhall_moderation_decisions_total",
    "Decisions on comments, by who decided, what and under which guideline",
    ["actor", "action", "guideline"],
)
THREAD_CACHE = Counter(
    "townhall_thread_cache_total", "Anonymous thread reads by cache outcome", ["result"]
)
COUNTS_CACHE = Counter(
    "townhall_counts_cache_total", "Comment count requests by cache outcome", ["result"]
)


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return f"/{match.route}" if match is not None and match.route else "unmatched"


class MetricsMiddleware:
    """Count and time every request by its URL pattern (not its path: bounded labels)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        LATENCY.labels(route).observe(time.perf_counter() - start)
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        return response


class QueueCollector(Collector):
    """Moderation queue sizes per site, read from the database at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from townhall.review.services import queue_counts
        from townhall.sites.models import Site

        family = GaugeMetricFamily(
            "townhall_moderation_queue", "Comments waiting in each queue", labels=["site", "queue"]
        )
        for site in Site.objects.only("pk", "slug"):
            for queue, size in queue_counts(site).items():
                family.add_metric([site.slug, queue], size)
        yield family


def _allowed(request: HttpRequest) -> bool:
    token = os.environ.get("TOWNHALL_METRICS_TOKEN", "")
    if token and request.headers.get("Authorization", "") == f"Bearer {token}":
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    allowed = [
        ipaddress.ip_network(n.strip())
        for n in os.environ.get("TOWNHALL_METRICS_ALLOW", "127.0.0.0/8,::1/128").split(",")
        if n.strip()
    ]
    return any(address in net for net in allowed)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics`` in Prometheus' text format, for allowed addresses or the token."""
    if not _allowed(request):
        return HttpResponse("metrics are not public\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry)
    queues = CollectorRegistry()
    queues.register(QueueCollector())
    output += generate_latest(queues)
    return HttpResponse(output, content_type=CONTENT_TYPE_LATEST)


def record_decision(actor: str, action: str, guideline: str) -> None:
    DECISIONS.labels(actor, action, guideline or "none").inc()
