"""Prometheus metrics of one process, built by the composition root (not at import)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric


class Metrics:
    """The counters every subsystem updates; exposed at ``/metrics`` when ``HTTP_PORT`` is set."""

    __slots__ = (
        "errors_reported",
        "event_handler_failures",
        "events",
        "job_duration",
        "job_runs",
        "messages_sent",
        "outbox_depth",
        "ratelimit_rate",
        "redis_degraded",
        "redis_degraded_seconds",
        "registry",
        "telegram_errors",
        "too_many_requests",
        "updates_dropped",
    )

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.errors_reported = 0.0  # 429/5xx answers already added to the cluster's total
        r = self.registry
        self.job_runs = Counter(
            "companion_job_runs", "Job runs by job and final status", ["job", "status"], registry=r
        )
        self.job_duration = Histogram(
            "companion_job_duration_seconds",
            "Job run duration",
            ["job"],
            registry=r,
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900),
        )
        self.messages_sent = Counter(
            "companion_messages", "Bot API sends by lane and result", ["lane", "result"], registry=r
        )
        self.too_many_requests = Counter(
            "companion_telegram_429", "429 answers from the Bot API by scope", ["scope"], registry=r
        )
        self.telegram_errors = Counter(
            "companion_telegram_errors", "Bot API errors by kind", ["kind"], registry=r
        )
        self.outbox_depth = Gauge("companion_outbox_depth", "Pending outbox rows", registry=r)
        self.event_handler_failures = Counter(
            "companion_event_handler_failures",
            "Failed event handlers by event",
            ["event"],
            registry=r,
        )
        self.events = Counter(
            "companion_events", "Events published on the bus, by type", ["type"], registry=r
        )
        self.updates_dropped = Counter(
            "companion_updates_dropped",
            "Updates dropped: their chat was over its backlog",
            registry=r,
        )
        self.ratelimit_rate = Gauge(
            "companion_ratelimit_rate",
            "Sends per second the limiter admits, learned from 429s "
            "(private, group: the lowest chat)",
            ["scope"],
            registry=r,
        )
        self.redis_degraded = Gauge(
            "companion_redis_degraded",
            "1 while Redis is unreachable and the in-memory "
            "fallback serves the limiter and the cache",
            registry=r,
        )
        self.redis_degraded_seconds = Counter(
            "companion_redis_degraded_seconds",
            "Seconds spent on the in-memory fallback",
            registry=r,
        )


def instance_label() -> str:
    """``host:pid``: which process of a cluster a figure comes from."""
    return f"{socket.gethostname()}:{os.getpid()}"


class _Labelled:
    """The samples of ``registry`` with ``instance`` added: every process of a cluster can
    be scraped into one Prometheus and its figures told apart (or summed)."""

    __slots__ = ("instance", "registry")

    def __init__(self, registry: CollectorRegistry, instance: str) -> None:
        self.registry, self.instance = registry, instance

    def collect(self) -> Iterator[Metric]:
        for family in self.registry.collect():
            labelled = Metric(family.name, family.documentation, family.type, family.unit)
            for sample in family.samples:
                labels = {**sample.labels, "instance": self.instance}
                labelled.add_sample(
                    sample.name, labels, sample.value, sample.timestamp, sample.exemplar
                )
            yield labelled


def exposition(metrics: Metrics, instance: str | None = None) -> bytes:
    """The Prometheus text of ``metrics``, every sample labelled with its ``instance``."""
    return generate_latest(_Labelled(metrics.registry, instance or instance_label()))
