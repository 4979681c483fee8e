"""Agent ``classify``: raw events in, verdicts and dead letters out, one batched model pass per batch."""
from __future__ import annotations

import logging

import faust

from pipeline.decode import Rejection, decode_event
from schemas.event import Event

log = logging.getLogger(__name__)


def register(app: faust.App, rt) -> None:
    """Attach the classify agent to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    cfg = rt.config.worker

    @app.agent(rt.topics.events, name="classify")
    async def classify(stream: faust.StreamT) -> None:
        await rt.ensure_loaded()
        # take_events acks the batch only after this loop body finishes, so offsets advance only
        # once every verdict and dead letter of the batch has been handed to the broker.
        async for batch in stream.take_events(cfg.max_batch, within=cfg.batch_within_s):
            events: list[Event] = []
            sends = []
            for ev in batch:
                decoded = decode_event(ev.value, max_bytes=cfg.max_event_bytes)
                if isinstance(decoded, Rejection):
                    sends.append(await rt.send_dead_letter(ev, decoded))
                else:
                    events.append(decoded)
            verdicts = await rt.run_model(rt.engine.classify, events)
            for verdict in verdicts:
                sends.append(await rt.topics.verdicts.send(
                    key=verdict.event_id.encode(),
                    value=verdict.model_dump_json(by_alias=True, exclude_none=True).encode()))
            for fut in sends:
                await fut  # delivered (acknowledged by the broker) before the batch is acked
            log.info("classified batch: %d verdicts, %d dead letters", len(verdicts),
                     len(sends) - len(verdicts))
