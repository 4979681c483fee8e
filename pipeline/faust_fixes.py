"""A fix for a record-losing race in faust-streaming's recovery, applied once when the app is built.

The defect (faust-streaming 0.15.3, ``faust.tables.recovery.Recovery``): when a worker has been assigned
its partitions and restored its tables, ``_resume_streams`` / ``on_recovery_completed``

1. resume fetching from the stream partitions,
2. seek them to the committed offsets (a broker round trip, while the fetcher already runs),
3. call ``app.flow_control.resume()``, which *empties every agent's input queue*.

Records fetched during step 2 are put into the agents' queues and marked read, then thrown away by
step 3; as they count as read, the fetcher never hands them out again. They are not acknowledged
either, so a later restart would re-read them, but in this session they are silently lost: after a
restart the first window sometimes counted 19 of its 20 events (tests/integration/test_alerts_lifecycle.py
found it; a worker log showed the record delivered, then never processed by any agent).

The fix keeps Faust's steps and adds one: a second seek to the committed offsets right after the queues
are emptied, so whatever they held is handed out again. A record an agent had already taken may then come
twice (at-least-once: verdicts are indexed by event id, so the index holds it once), never zero times.
(Reordering the steps or stopping the fetcher around them left partitions unread on 0.15.3.)
"""
from __future__ import annotations

import logging
from typing import Any

import faust
from faust.tables.recovery import Recovery

log = logging.getLogger(__name__)

#: The releases whose ``Recovery`` this module's copies of the two methods were written against.
PATCHED_VERSIONS = ("0.15.",)
_applied = False


async def _open_streams(recovery: Any, assignment: set) -> None:
    """Faust's own steps to start reading the streams, plus a second seek once the queues are emptied.

    Whatever was handed out before the queues were emptied is read again from the committed offsets;
    a record an agent had already taken is then handed out twice (at-least-once), never zero times.
    """
    app = recovery.app
    consumer = app.consumer
    consumer.resume_partitions({tp for tp in assignment if not recovery._is_changelog_tp(tp)})
    if assignment:
        recovery.log.info("Seek stream partitions to committed offsets.")
        await recovery._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
    recovery.completed.set()
    app.flow_control.resume()  # empties the agents' queues
    if assignment:
        await recovery._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
    consumer.resume_flow()
    await app._fetcher.maybe_start()


async def _resume_streams(self: Recovery, generation_id: int = 0) -> None:
    app = self.app
    await app.on_rebalance_complete.send()
    assignment = app.consumer.assignment()
    if app.consumer_generation_id != generation_id:
        self.log.warning("Recovery rebalancing again")
        return
    if not assignment:
        self.log.info("Resuming streams with empty assignment")
    await _open_streams(self, assignment)
    self.tables.on_actives_ready()
    self.tables.on_standbys_ready()
    app.on_rebalance_end()
    self.log.info("Worker ready")


async def _on_recovery_completed(self: Recovery, generation_id: int = 0) -> None:
    import asyncio

    app = self.app
    self.log.info("Restore complete!")
    await app.on_rebalance_complete.send()
    self._set_recovery_ended()
    callbacks = [asyncio.ensure_future(table.on_recovery_completed(self.actives_for_table[table],
                                                                   self.standbys_for_table[table]))
                 for table in self.tables.values()]
    if callbacks:
        await asyncio.wait(callbacks)
    assignment = app.consumer.assignment()
    if app.consumer_generation_id != generation_id:
        self.log.warning(f"Recovery rebalancing again app id {app.consumer_generation_id} param {generation_id}")
        return
    await _open_streams(self, assignment)
    self.tables.on_actives_ready()
    if not app.assignor.assigned_standbys():
        self.tables.on_standbys_ready()
    app.on_rebalance_end()
    self.log.info("Worker ready")


def apply() -> bool:
    """Install the fix (idempotent). Returns False, with a warning, on a Faust release it was not written for."""
    global _applied
    if _applied:
        return True
    if not faust.__version__.startswith(PATCHED_VERSIONS):
        log.warning("faust-streaming %s is not a release this recovery fix was checked against (%s); "
                    "running it unpatched", faust.__version__, ", ".join(PATCHED_VERSIONS))
        return False
    Recovery._resume_streams = _resume_streams  # type: ignore[method-assign]
    Recovery.on_recovery_completed = _on_recovery_completed  # type: ignore[method-assign]
    _applied = True
    return True
