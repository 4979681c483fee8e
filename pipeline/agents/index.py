"""Agent ``index``: verdicts into Elasticsearch with ``_id = event_id``; refused documents dead-lettered."""
from __future__ import annotations

import logging

import faust

from pipeline.decode import Rejection
from schemas.documents import verdict_document
from schemas.event import Verdict

log = logging.getLogger(__name__)


def register(app: faust.App, rt) -> None:
    """Attach the index agent to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    es = rt.config.elasticsearch

    @app.agent(rt.topics.verdicts, name="index")
    async def index(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(es.bulk_max_docs, within=0.5):
            rt.metrics.batch("index", len(batch))
            docs, by_id = [], {}
            for ev in batch:
                try:
                    verdict = Verdict.model_validate_json(ev.value)
                except (TypeError, ValueError):
                    # Only our classify agent should write here; anything else is dead-lettered.
                    await (await rt.send_dead_letter(ev, Rejection("malformed_json", "not a verdict")))
                    continue
                docs.append((verdict.event_id, verdict_document(verdict)))
                by_id[verdict.event_id] = ev
            # Returns only when every doc is stored or refused for good (retries back off inside).
            failures = await rt.writer.write(es.verdicts_index, docs)
            for failure in failures:
                rejection = Rejection("index_rejected", f"HTTP {failure.status}: {failure.error}",
                                      failure.doc_id)
                await (await rt.send_dead_letter(by_id[failure.doc_id], rejection))
            log.info("indexed %d verdicts (%d refused)", len(docs) - len(failures), len(failures))

