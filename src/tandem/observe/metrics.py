"""Prometheus metrics of one server process, in a registry of the application's own.

Requests are counted and timed by route template, method and status; the database pool and
the audit events written are read when /metrics is scraped, so they cost a request nothing.
Each worker process (``tandem serve --workers N``) keeps its own figures (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.ext.asyncio import AsyncEngine

# Tandem's requests take milliseconds: finer buckets below 10 ms than Prometheus's defaults.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LABELS = ("route", "method", "status")


class _Child:
    """The labelled series of one (route, method, status), looked up once."""

    __slots__ = ("count", "latency")

    def __init__(self, count: Counter, latency: Histogram) -> None:
        self.count = count
        self.latency = latency


class Metrics:
    """The registry /metrics serves, and the request metrics the observer feeds."""

    def __init__(self, engine: AsyncEngine, audit_events_written: Callable[[], int]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "tandem_http_requests",
            "HTTP requests answered, by route template, method and status.",
            _LABELS,
            registry=self.registry,
        )
        self._latency = Histogram(
            "tandem_http_request_duration_seconds",
            "Time from a request's arrival to its last byte, by route template, method and status.",
            _LABELS,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, int], _Child] = {}
        self.registry.register(_StateCollector(engine, audit_events_written))
        ProcessCollector(namespace="tandem", registry=self.registry)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:
            labels = (route, method, str(status))
            child = _Child(self._requests.labels(*labels), self._latency.labels(*labels))
            self._children[key] = child
        child.count.inc()
        child.latency.observe(seconds)


class _StateCollector:
    """What is read at scrape time: the database pool and the audit events written."""

    def __init__(self, engine: AsyncEngine, audit_events_written: Callable[[], int]) -> None:
        self.engine = engine
        self.audit_events_written = audit_events_written

    def collect(self) -> Iterator[Metric]:
        pool = self.engine.sync_engine.pool
        size = getattr(pool, "size", None)
        checked_out = getattr(pool, "checkedout", None)
        if callable(size) and callable(checked_out):
            yield GaugeMetricFamily(
                "tandem_db_pool_size", "Connections the pool keeps open.", value=size()
            )
            yield GaugeMetricFamily(
                "tandem_db_pool_in_use",
                "Connections checked out of the pool now (beyond its size: overflow).",
                value=checked_out(),
            )
        yield CounterMetricFamily(
            "tandem_audit_events_written",
            "Audit events committed by this process since it started.",
            value=self.audit_events_written(),
        )
