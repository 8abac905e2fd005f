"""The daemon's metrics, in Prometheus's text format at GET /metrics.

Counters move as the daemon works (polls, items, matches, failures, reloads); what the database holds (the outbox, the
last digest sent to each destination) is read from the store at each scrape, so every replica on one database reports
the same figures and a restart loses none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from monitor.poll_report import PollReport

log = logging.getLogger("monitor.metrics")

# Polls take from a fraction of a second (a 304) to minutes (a council's papers, page by page).
POLL_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


@dataclass(frozen=True)
class StoredFigures:
    """What the database says at one moment: deliveries waiting and given up, and the last digest per destination."""

    pending: int
    failed: int
    last_digest: Mapping[tuple[str, str], datetime]  # (output, destination) -> when last sent


class DaemonMetrics:
    """Every metric of one daemon, in a registry of its own."""

    def __init__(self, read_store: Callable[[], StoredFigures]) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.polls = Counter(
            "beatwatch_polls",
            "Polls of a source, by outcome (ok, not_modified, failed)",
            ["source", "outcome"],
            registry=registry,
        )
        self.items = Counter("beatwatch_items", "New items stored", ["source"], registry=registry)
        self.matches = Counter("beatwatch_matches", "New matches stored", ["source", "topic"], registry=registry)
        self.fetch_failures = Counter(
            "beatwatch_fetch_failures",
            "Failed polls, by what went wrong (http_503, timeout, robots...)",
            ["source", "reason"],
            registry=registry,
        )
        self.poll_seconds = Histogram(
            "beatwatch_poll_duration_seconds",
            "How long a poll of a source took",
            ["source"],
            buckets=POLL_SECONDS_BUCKETS,
            registry=registry,
        )
        self.reloads = Counter(
            "beatwatch_config_reloads",
            "Edited configurations taken up (ok) or refused (failed)",
            ["result"],
            registry=registry,
        )
        registry.register(_StoreCollector(read_store))

    def record_poll(self, report: PollReport) -> None:
        if report.postponed:  # no request was made
            return
        source = report.source_id
        outcome = "failed" if report.error else "not_modified" if report.unchanged else "ok"
        self.polls.labels(source, outcome).inc()
        self.poll_seconds.labels(source).observe(report.seconds)
        if report.new_items:
            self.items.labels(source).inc(report.new_items)
        for topic in report.topics:
            self.matches.labels(source, topic).inc()
        if report.failure:
            self.fetch_failures.labels(source, report.failure).inc()

    def record_reload(self, *, ok: bool) -> None:
        self.reloads.labels("ok" if ok else "failed").inc()


class _StoreCollector(Collector):
    """Reads the store at each scrape; when the database does not answer, says so in ``beatwatch_database_up``."""

    def __init__(self, read_store: Callable[[], StoredFigures]) -> None:
        self._read_store = read_store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("beatwatch_database_up", "1 when the database answered this scrape, else 0")
        try:
            figures = self._read_store()
        except Exception as error:  # the scrape still answers; /healthz says what is wrong
            log.debug("metrics: the store could not be read: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        outbox = GaugeMetricFamily("beatwatch_outbox_deliveries", "Deliveries waiting in the outbox", labels=["state"])
        outbox.add_metric(["pending"], figures.pending)
        outbox.add_metric(["failed"], figures.failed)
        yield outbox
        digest = GaugeMetricFamily(
            "beatwatch_last_digest_timestamp_seconds",
            "When a digest was last sent to a destination (Unix time)",
            labels=["output", "destination"],
        )
        for (output, destination), at in sorted(figures.last_digest.items()):
            digest.add_metric([output, destination], at.timestamp())
        yield digest
