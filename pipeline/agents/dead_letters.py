"""Agent ``dead_letters``: index every dead letter so operators can find them in Kibana.

The document id is the refused record's position in its source topic, so replays overwrite.
"""
from __future__ import annotations

import logging

import faust

from schemas.documents import dead_letter_document
from schemas.event import DeadLetter

log = logging.getLogger(__name__)


def register(app: faust.App, rt) -> None:
    """Attach the dead_letters agent to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    es = rt.config.elasticsearch

    @app.agent(rt.topics.dlq, name="dead_letters")
    async def dead_letters(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(es.bulk_max_docs, within=0.5):
            rt.metrics.batch("dead_letters", len(batch))
            docs = []
            for ev in batch:
                msg = ev.message
                try:
                    letter = DeadLetter.model_validate_json(ev.value)
                except (TypeError, ValueError):
                    log.error("record %s:%d@%d on the DLQ is not a dead letter; skipped", msg.topic,
                              msg.partition, msg.offset)
                    continue
                # Keyed by the refused record's own position: if a crash makes the worker refuse it
                # twice, the second dead letter overwrites the first instead of doubling it.
                src = letter.source
                docs.append((f"{src.topic}-{src.partition}-{src.offset}", dead_letter_document(letter)))
            failures = await rt.writer.write(es.dead_letters_index, docs)
            for failure in failures:
                # Our own records; a refusal here is a template bug, so say it loudly.
                log.error("dead letter %s refused by Elasticsearch: HTTP %d %s", failure.doc_id,
                          failure.status, failure.error)
