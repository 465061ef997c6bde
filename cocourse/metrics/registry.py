"""The metrics and the registry a scrape reads.

Under gunicorn every worker counts for itself. With `PROMETHEUS_MULTIPROC_DIR` set (an
empty folder, emptied before the servers start), prometheus_client keeps the counts in
files there and a scrape adds up every worker's; without it, a scrape sees the worker that
answered. Queue depths are read at scrape time, so they are the same whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# Upper bounds in seconds: most pages take a few milliseconds, reports up to a second.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "cocourse_request_duration_seconds",
    "Time to answer a request, by endpoint and method.",
    ("endpoint", "method"),
    buckets=BUCKETS,
)
RESPONSES = Counter(
    "cocourse_responses",
    "Responses sent, by endpoint, method and status code.",
    ("endpoint", "method", "status"),
)
PAGES_FROM_CACHE = Counter(
    "cocourse_page_cache_hits",
    "Pages sent from the page cache without rendering, by endpoint.",
    ("endpoint",),
)
QUIZ_SUBMISSIONS = Counter(
    "cocourse_quiz_submissions",
    "Quiz attempts submitted and graded, by whether they passed.",
    ("passed",),
)


class QueueDepth(Collector):
    """Work waiting, read when scraped: `depths()` gives {queue: items waiting}."""

    def __init__(self, depths: Callable[[], dict[str, int]]) -> None:
        self.depths = depths

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "cocourse_queue_depth", "Items waiting, by queue.", labels=("queue",)
        )
        for queue, depth in sorted(self.depths().items()):
            family.add_metric((queue,), depth)
        yield family


def scrape_registry(depths: Callable[[], dict[str, int]]) -> CollectorRegistry:
    """A registry for one scrape: every worker's counts, and the queues now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (REQUEST_SECONDS, RESPONSES, QUIZ_SUBMISSIONS):
            registry.register(collector)
    registry.register(QueueDepth(depths))
    return registry
