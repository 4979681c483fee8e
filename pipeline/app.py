"""The Faust application: topics, shared runtime state, and the agents that do the work.

``create_app(config)`` builds everything without connecting anywhere; ``guardstream worker`` runs it.
Agents live one per module in ``pipeline/agents`` and register themselves on the app here.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

import faust

from alerts.notifiers import build_notifiers
from alerts.notifiers.base import Notifier
from classifiers.pii import PiiDetector, mask_untrusted
from pipeline import faust_fixes, fetch_wait
from pipeline.adapters import adapters_for
from pipeline.adapters.base import Adapter
from pipeline.decode import Rejection, dead_letter
from pipeline.elastic import BulkWriter, async_client
from pipeline.health import register_views
from pipeline.kafka_io import faust_credentials, group_instance_id
from pipeline.metrics import KafkaRecordSensor, Metrics
from pipeline.verdicts import VerdictEngine
from schemas.config import Config
from schemas.event import DeadLetterSource

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Topics:
    events: faust.TopicT  # every input topic (kafka.inputs), whatever its format
    verdicts: faust.TopicT
    dlq: faust.TopicT


@dataclass
class Runtime:
    """What the agents share: config, topics, the model, the Elasticsearch writer and notifiers."""

    config: Config
    topics: Topics
    engine: VerdictEngine
    notifiers: list[Notifier]
    pii_for_untrusted: PiiDetector
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "classify"))
    io_executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, "notify"))
    metrics: Metrics = field(default_factory=Metrics)
    #: Input topic -> the adapter for its format (kafka.inputs).
    adapters: dict[str, Adapter] = field(default_factory=dict)
    _writer: BulkWriter | None = None
    _loaded: asyncio.Lock = field(default_factory=asyncio.Lock)
    _is_loaded: bool = False

    @property
    def writer(self) -> BulkWriter:
        # Created lazily so the aiohttp session binds to the worker's running loop.
        if self._writer is None:
            self._writer = BulkWriter(async_client(self.config.elasticsearch),
                                      chunk_size=self.config.elasticsearch.bulk_max_docs, metrics=self.metrics)
        return self._writer

    @property
    def model_loaded(self) -> bool:
        """Whether the classifiers are loaded (``/readyz`` waits for it)."""
        return self._is_loaded

    def mask(self, text: str) -> str:
        """Mask PII in text we do not trust (rejected payloads, error details)."""
        return mask_untrusted(text, self.pii_for_untrusted)

    async def ensure_loaded(self) -> None:
        """Load the classifiers once, off the event loop (it takes seconds)."""
        async with self._loaded:
            if not self._is_loaded:
                await self.run_model(self.engine.load)
                self.pii_for_untrusted.load()
                self._is_loaded = True

    async def close(self) -> None:
        """Release connections and threads at shutdown (after the consumer stopped)."""
        if self._writer is not None:
            await self._writer.client.close()
        self.executor.shutdown(wait=True)
        self.io_executor.shutdown(wait=True)

    async def send_dead_letter(self, ev: faust.EventT, rejection: Rejection) -> asyncio.Future:
        """Queue a dead letter for a consumed record; await the returned future for delivery."""
        msg = ev.message
        source = DeadLetterSource(topic=msg.topic, partition=msg.partition, offset=msg.offset)
        letter = dead_letter(ev.value, rejection, source, self.mask)
        log.warning("dead-lettered %s:%d@%d: %s", msg.topic, msg.partition, msg.offset, rejection.reason)
        self.metrics.dead_lettered(rejection.reason)
        return await self.topics.dlq.send(key=ev.key, value=letter.model_dump_json().encode())

    async def run_model(self, fn: Callable[..., T], *args: Any) -> T:
        """Run CPU/GPU-heavy work in the model thread so Kafka heartbeats never stall."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def run_io(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking I/O (notifier HTTP calls) in a small thread pool."""
        return await asyncio.get_running_loop().run_in_executor(self.io_executor, fn, *args)


def create_app(config: Config, *, engine: VerdictEngine | None = None,
               notifiers: list[Notifier] | None = None) -> faust.App:
    """Build the Faust app with its topics and agents. Nothing connects until the worker starts."""
    faust_fixes.apply()
    kafka = config.kafka
    fetch_wait.apply(kafka.empty_fetch_wait_ms / 1000)
    worker = config.worker
    app = faust.App(
        kafka.consumer_group,
        broker=[f"kafka://{server}" for server in kafka.bootstrap_servers],
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=kafka.topics.partitions,
        consumer_auto_offset_reset="earliest",
        processing_guarantee=worker.processing_guarantee,
        broker_credentials=faust_credentials(kafka),
        web_enabled=worker.web_port > 0,
        web_port=worker.web_port or 6066,
        # Faust binds to web_bind (default: every interface); 127.0.0.1 locally, 0.0.0.0 in a pod.
        web_bind=worker.web_host,
        web_host=worker.web_host,
        # No tables are routed between workers; these endpoints would only expose internals.
        web_router_enabled=False,
        web_tables_enabled=False,
        datadir=str(worker.data_dir),
        # Batches are classified in a thread, but a busy 2-core machine can still starve the event loop
        # for seconds; a long session keeps such a worker in its group.
        broker_session_timeout=60.0,
        # Static membership: after a crash the restarted worker reclaims its partitions at once. (The
        # embedded broker never expires a SIGKILLed dynamic member, so without it the group stalls.)
        consumer_group_instance_id=group_instance_id(kafka, worker.data_dir),
        broker_heartbeat_interval=3.0,
        # Bounds how long the one fetch loop can be held up by the classify agent's full buffer while
        # verdicts for the index and rates agents wait behind it (worker.max_poll_records).
        broker_max_poll_records=worker.max_poll_records,
        producer_linger=kafka.producer_linger_ms / 1000,
    )
    topic_args = {"key_type": bytes, "value_type": bytes, "partitions": kafka.topics.partitions}
    topics = Topics(
        events=app.topic(*[source.topic for source in kafka.inputs], **topic_args),
        verdicts=app.topic(kafka.topics.verdicts, **topic_args),
        dlq=app.topic(kafka.topics.dlq, **topic_args),
    )
    runtime = Runtime(
        config=config,
        topics=topics,
        engine=engine or VerdictEngine(config.classifiers, max_text_chars=worker.max_text_chars),
        notifiers=build_notifiers(config.alerts) if notifiers is None else notifiers,
        # Dead-letter previews: the configured types, lists and custom recognizers, without the NER model
        # (hostile records must stay cheap to refuse; the classifier's NER is not for them).
        pii_for_untrusted=PiiDetector.from_config(config.classifiers.pii.model_copy(update={"ner": "none"})),
        adapters=adapters_for(kafka),
    )
    from pipeline.agents import alerting, anomaly, classify, dead_letters, index, rates, retention

    # rates → genai.rates → anomaly (detectors, alert state) → alert updates → alerting (notify)
    for module in (classify, index, dead_letters, rates, anomaly, alerting, retention):
        module.register(app, runtime)

    @app.on_before_shutdown.connect
    async def _close_runtime(sender: faust.App, **kwargs: Any) -> None:
        await runtime.close()

    app.sensors.add(KafkaRecordSensor(runtime.metrics))
    register_views(app, runtime)

    app.guardstream = runtime  # type: ignore[attr-defined]  # handy for tests and the CLI
    return app
