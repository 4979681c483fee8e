"""Long polling for brokers that answer an empty fetch at once.

Kafka holds a fetch request until records arrive or ``fetch.max.wait.ms`` passes (Faust asks for
1.5 s), so an idle consumer sends a request or two a second per broker. The embedded noida-db answers
at once, and aiokafka sends the next request straight away: an idle worker's consumer thread then
spent 84 % of a core decoding empty fetch responses (8.4 CPU-s in 10 s on the 2-core machine of
BENCHMARKS.md), a core the classifiers need.

``apply(wait_s)`` wraps aiokafka's ``Fetcher._proc_fetch_request``: when a fetch brought no records
and came back sooner than ``wait_s``, its task waits out the rest before it returns. aiokafka sends
no new request to a broker while one is in flight, so the next request goes out no sooner than
``wait_s`` after the last one. A broker that long-polls never triggers it (its empty answers take
``fetch.max.wait.ms``), nor does a fetch that brought records. The price, on a broker that does not
long-poll: a record that arrives while the worker is idle waits up to ``wait_s`` longer.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka.consumer.fetcher import Fetcher

_original = Fetcher._proc_fetch_request
_wait_s = 0.0
_clock = time.monotonic
_sleep = asyncio.sleep


async def _proc_fetch_request(self: Any, assignment: Any, node_id: int, request: Any) -> bool:
    """aiokafka's fetch task (True when it brought records), made to last ``_wait_s`` when it brought none."""
    started = _clock()
    has_new_data = await _original(self, assignment, node_id, request)
    if not has_new_data and _wait_s > 0:
        left = _wait_s - (_clock() - started)
        if left > 0:
            try:
                await _sleep(left)  # the long poll's wait that this broker did not do
            except asyncio.CancelledError:
                # Fetcher.close() cancels its fetch tasks and awaits them without catching; aiokafka's
                # own task returns False when cancelled, so must this one, or the consumer's stop
                # raises and a worker told to stop hangs until it is killed.
                return False
    return has_new_data


def apply(wait_s: float) -> None:
    """Make an empty fetch take at least ``wait_s`` seconds (0 turns it off). Process-wide, idempotent."""
    global _wait_s
    if wait_s < 0:
        raise ValueError(f"wait_s must be >= 0, got {wait_s}")
    _wait_s = wait_s
    Fetcher._proc_fetch_request = _proc_fetch_request  # type: ignore[method-assign]
