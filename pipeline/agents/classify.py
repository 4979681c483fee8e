"""Agent ``classify``: raw events in, verdicts and dead letters out, one batched model pass per batch.

The model pass (tokenize, encoder, heads, PII, masking) runs in the runtime's model thread
(``rt.run_model``), never on the event loop, so Kafka heartbeats and fetches go on while a batch is
scored; ONNX Runtime and torch release the GIL while they compute.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import faust

from pipeline.adapters.native import NativeAdapter
from pipeline.decode import Rejection, decode_record
from schemas.event import Event

log = logging.getLogger(__name__)


def register(app: faust.App, rt) -> None:
    """Attach the classify agent to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    cfg = rt.config.worker
    # Each input topic has its format's adapter and may have its own record size limit.
    limits = {source.topic: source.max_record_bytes or cfg.max_event_bytes for source in rt.config.kafka.inputs}
    native = NativeAdapter()

    @app.agent(rt.topics.events, name="classify")
    async def classify(stream: faust.StreamT) -> None:
        await rt.ensure_loaded()
        # take_events acks the batch only after this loop body finishes, so offsets advance only
        # once every verdict and dead letter of the batch has been handed to the broker.
        async for batch in stream.take_events(cfg.max_batch, within=cfg.batch_within_s):
            rt.metrics.batch("classify", len(batch))
            events: list[Event] = []
            sends = []
            for ev in batch:
                topic = ev.message.topic
                decoded = decode_record(ev.value, rt.adapters.get(topic, native),
                                        max_bytes=limits.get(topic, cfg.max_event_bytes),
                                        timestamp=_record_time(ev.message.timestamp))
                if isinstance(decoded, Rejection):
                    sends.append(await rt.send_dead_letter(ev, decoded))
                else:
                    events.extend(decoded)  # one record may hold 0..n events (e.g. an OTLP batch)
            verdicts = await rt.metrics.time_classifier(rt.run_model(rt.engine.classify, events))
            for verdict in verdicts:
                sends.append(await rt.topics.verdicts.send(
                    key=verdict.event_id.encode(),
                    value=verdict.model_dump_json(by_alias=True, exclude_none=True).encode()))
            for fut in sends:
                await fut  # delivered (acknowledged by the broker) before the batch is acked
            rt.metrics.classified(verdicts)
            log.info("classified batch: %d verdicts, %d dead letters", len(verdicts),
                     len(sends) - len(verdicts))


def _record_time(timestamp: float | None) -> datetime | None:
    """The Kafka record's timestamp (epoch seconds in Faust) as a datetime; None when the broker gave none."""
    return datetime.fromtimestamp(timestamp, timezone.utc) if timestamp and timestamp > 0 else None
