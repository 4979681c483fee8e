"""A fix for a record-losing race in faust-streaming's recovery, applied once when the app is built.

The defect (faust-streaming 0.15.3, ``faust.tables.recovery.Recovery``): when a worker has been assigned
its partitions and restored its tables, ``_resume_streams`` / ``on_recovery_completed``

1. resume fetching from the stream partitions while the consumer's flow is active (it always is on a
   worker's first assignment), so the fetch loop hands records to the agents' queues at once;
2. seek the partitions to the committed offsets (a broker round trip, during which the loop goes on);
3. call ``app.flow_control.resume()``, which *empties every agent's input queue*.

Faust remembers the highest offset it handed out per partition and drops any record at or below it.
The seek resets that mark, but the fetch loop may still be half-way through a batch fetched before the
seek: it hands out the rest of that batch and raises the mark again, so when the records thrown away in
step 3 come back from the broker they are dropped as already read. Nothing acknowledged them either, so
a later restart would re-read them; in this session they are silently lost. A restarted worker's first
window sometimes counted 19 of its 20 events (tests/integration/test_alerts_lifecycle.py found it; a
trace showed offsets 240-241 handed out, emptied, then dropped after the seek).

The fix keeps Faust's steps but stops the consumer's flow first: while it is stopped the fetch loop
hands nothing out (it checks before every record) and rewinds itself instead. The partitions are
resumed and sought, the queues emptied, and only then does the flow start again, from the committed
offsets. (A second seek after the queues are emptied, tried first, narrowed the window but did not close
it: the loop could still straddle that seek.)
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
#: Faust's own methods, kept for comparison (tests run the simulated race through both).
ORIGINAL_RESUME_STREAMS = Recovery._resume_streams


async def _open_streams(recovery: Any, assignment: set) -> None:
    """Faust's own steps to start reading the streams, with the consumer's flow stopped around them.

    Nothing is handed to the agents between resuming the partitions and resuming the flow, so the
    queues emptied by ``flow_control.resume()`` hold nothing that the fetch loop then counts as read.
    """
    app = recovery.app
    consumer = app.consumer
    consumer.stop_flow()
    consumer.resume_partitions({tp for tp in assignment if not recovery._is_changelog_tp(tp)})
    if assignment:
        recovery.log.info("Seek stream partitions to committed offsets.")
        await recovery._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
    recovery.completed.set()
    app.flow_control.resume()  # empties the agents' queues
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
