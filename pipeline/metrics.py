"""Prometheus metrics of one worker, in a registry of its own (so several apps in one process never clash).

Kafka records in and out are counted by a Faust sensor, once per record whatever agents read it; the
agents make one-line calls for what only they know (batch sizes, model latency, verdicts, bulk writes,
alerts). Consumer lag is computed when ``/metrics`` is scraped. Names follow Prometheus conventions:
``_total`` counters, ``_seconds`` histograms. See docs/deployment.md for the list.
"""
from __future__ import annotations

import time
from typing import Any, Awaitable, Iterable, TypeVar

from faust.sensors import Sensor
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

T = TypeVar("T")

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
#: Model passes: ~10 ms for a small batch on a GPU up to tens of seconds for a big one on a small CPU.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Every GuardStream metric; ``render()`` gives the Prometheus text exposition."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.records_in = Counter("guardstream_records_in", "Kafka records consumed, per topic.",
                                  ["topic"], registry=r)
        self.records_out = Counter("guardstream_records_out", "Kafka records produced (acknowledged), per topic.",
                                   ["topic"], registry=r)
        self.send_errors = Counter("guardstream_records_send_errors", "Kafka sends that failed, per topic.",
                                   ["topic"], registry=r)
        self.batch_size = Histogram("guardstream_batch_size", "Records per batch, per agent.", ["agent"],
                                    buckets=BATCH_BUCKETS, registry=r)
        self.classifier_latency = Histogram("guardstream_classifier_latency_seconds",
                                            "One batched classification pass (model + PII + masking).",
                                            buckets=LATENCY_BUCKETS, registry=r)
        self.verdicts = Counter("guardstream_verdicts", "Verdicts produced.", registry=r)
        self.violations = Counter("guardstream_violations", "Verdicts with a violation, per category.",
                                  ["category"], registry=r)
        self.dead_letters = Counter("guardstream_dead_letters", "Records dead-lettered, per reason.",
                                    ["reason"], registry=r)
        self.bulk_latency = Histogram("guardstream_index_bulk_latency_seconds",
                                      "Elasticsearch bulk requests that got an answer, per index.", ["index"],
                                      buckets=LATENCY_BUCKETS, registry=r)
        self.bulk_failures = Counter("guardstream_index_bulk_failures",
                                     "Bulk trouble per index: kind=request (no answer, retried), "
                                     "retried (documents 429/5xx) or rejected (documents refused for good).",
                                     ["index", "kind"], registry=r)
        self.alerts_sent = Counter("guardstream_alerts_sent", "Alerts delivered, per notifier.", ["notifier"],
                                   registry=r)
        self.alerts_failed = Counter("guardstream_alerts_failed", "Alerts not delivered, per notifier and outcome.",
                                     ["notifier", "outcome"], registry=r)
        self.consumer_lag = Gauge("guardstream_consumer_lag",
                                  "Records behind the log end, per assigned partition (high water - committed).",
                                  ["topic", "partition"], registry=r)
        self.ready = Gauge("guardstream_ready", "1 when /readyz passes, per check.", ["check"], registry=r)

    # One-line calls for the agents -------------------------------------------------------------------

    def batch(self, agent: str, size: int) -> None:
        """A batch of ``size`` records reached ``agent``."""
        self.batch_size.labels(agent).observe(size)

    async def time_classifier(self, work: Awaitable[T]) -> T:
        """Await one classification pass and record how long it took."""
        started = time.perf_counter()
        result = await work
        self.classifier_latency.observe(time.perf_counter() - started)
        return result

    def classified(self, verdicts: Iterable[Any]) -> None:
        """Count verdicts and, per category, those that violate it."""
        for verdict in verdicts:
            self.verdicts.inc()
            for category in verdict.violations:
                self.violations.labels(category).inc()

    def dead_lettered(self, reason: str) -> None:
        """A record went to the DLQ for ``reason``."""
        self.dead_letters.labels(reason).inc()

    def bulk_answered(self, index: str, seconds: float, *, retried: int = 0, rejected: int = 0) -> None:
        """A bulk request to ``index`` was answered; some documents may need a retry or were refused."""
        self.bulk_latency.labels(index).observe(seconds)
        if retried:
            self.bulk_failures.labels(index, "retried").inc(retried)
        if rejected:
            self.bulk_failures.labels(index, "rejected").inc(rejected)

    def bulk_request_failed(self, index: str) -> None:
        """A bulk request to ``index`` got no usable answer (connection error, 5xx); it is retried."""
        self.bulk_failures.labels(index, "request").inc()

    def alert_delivery(self, notifier: str, result: Any) -> None:
        """Record how one notifier's delivery of an alert ended (``alerts.notifiers.base`` result)."""
        if result.delivered:
            self.alerts_sent.labels(notifier).inc()
        else:
            self.alerts_failed.labels(notifier, result.outcome).inc()

    # Scrape time ------------------------------------------------------------------------------------

    def update_lag(self, app: Any) -> None:
        """Set ``guardstream_consumer_lag`` for the partitions assigned to this worker right now.

        The high water comes from the consumer's last fetch (no broker round trip); the committed offset
        is the one Faust tracks for the group (Kafka semantics: the next offset to read). A partition
        with nothing committed yet by the group has no sample rather than a made-up one.
        """
        self.consumer_lag.clear()  # partitions revoked since the last scrape must disappear
        try:
            consumer = app.consumer
            assigned = consumer.assignment()
        except Exception:  # noqa: BLE001 - consumer not started yet: no partitions, no lag
            return
        # Faust keeps the group's committed offsets here (refreshed on assignment and on every commit);
        # it has no public accessor, so read it defensively.
        committed = getattr(consumer, "_committed_offset", {})
        for tp in assigned:
            try:
                high = consumer.highwater(tp)
            except Exception:  # noqa: BLE001 - not fetched yet
                continue
            done = committed.get(tp)
            if high is None or done is None:
                continue
            self.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, high - done))

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)


class KafkaRecordSensor(Sensor):
    """A Faust sensor counting records in and out per topic (every agent of the app, internal topics too)."""

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        self.metrics.records_in.labels(tp.topic).inc()

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> Any:
        return topic

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        self.metrics.records_out.labels(getattr(metadata, "topic", None) or state).inc()

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        self.metrics.send_errors.labels(state or "unknown").inc()
