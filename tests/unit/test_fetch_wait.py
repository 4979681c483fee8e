"""pipeline.fetch_wait: an empty fetch that came back at once waits out the rest of a long poll."""
from __future__ import annotations

import asyncio

import pytest
from aiokafka.consumer.fetcher import Fetcher

from pipeline import fetch_wait


class _Broker:
    """Stands in for aiokafka's original fetch task and the clock: each fetch takes ``took`` seconds."""

    def __init__(self, monkeypatch, *, took: float, records: bool) -> None:
        self.now, self.slept = 100.0, []
        broker = self

        async def original(fetcher, assignment, node_id, request):
            broker.now += took
            return records

        async def sleep(seconds):
            broker.slept.append(round(seconds, 6))
            broker.now += seconds

        monkeypatch.setattr(fetch_wait, "_original", original)
        monkeypatch.setattr(fetch_wait, "_clock", lambda: broker.now)
        monkeypatch.setattr(fetch_wait, "_sleep", sleep)

    def fetch(self) -> tuple[bool, float]:
        started = self.now
        result = asyncio.run(Fetcher._proc_fetch_request(object(), None, 0, None))
        return result, round(self.now - started, 6)


@pytest.fixture(autouse=True)
def _restore(monkeypatch):
    monkeypatch.setattr(Fetcher, "_proc_fetch_request", Fetcher._proc_fetch_request)
    monkeypatch.setattr(fetch_wait, "_wait_s", fetch_wait._wait_s)


def test_an_empty_answer_given_at_once_is_stretched_to_the_wait(monkeypatch):
    fetch_wait.apply(0.1)
    broker = _Broker(monkeypatch, took=0.002, records=False)
    assert broker.fetch() == (False, 0.1)
    assert broker.slept == [0.098]


def test_a_fetch_with_records_returns_at_once(monkeypatch):
    fetch_wait.apply(0.1)
    broker = _Broker(monkeypatch, took=0.002, records=True)
    assert broker.fetch() == (True, 0.002) and broker.slept == []


def test_a_waiting_fetch_cancelled_by_close_ends_quietly_as_aiokafka_s_own_does():
    """Fetcher.close() cancels the pending fetch tasks and awaits them without catching: a task that
    raised CancelledError there made every graceful worker stop hang until SIGKILL."""
    fetch_wait.apply(5.0)

    async def close_while_waiting() -> bool:
        started = asyncio.Event()

        async def empty_fetch(*_):
            started.set()
            return False
        task = asyncio.ensure_future(_wrapped(empty_fetch))
        await started.wait()
        task.cancel()
        return await task                   # what Fetcher.close() does: cancel, then await, no try

    async def _wrapped(original):
        saved = fetch_wait._original
        fetch_wait._original = original
        try:
            return await Fetcher._proc_fetch_request(object(), None, 0, None)
        finally:
            fetch_wait._original = saved

    assert asyncio.run(close_while_waiting()) is False


def test_a_broker_that_long_polls_is_never_kept_waiting_longer(monkeypatch):
    fetch_wait.apply(0.1)
    broker = _Broker(monkeypatch, took=1.5, records=False)  # Kafka: fetch.max.wait.ms (Faust asks for 1.5 s)
    assert broker.fetch() == (False, 1.5) and broker.slept == []


def test_zero_turns_it_off_and_a_negative_wait_is_refused(monkeypatch):
    fetch_wait.apply(0)
    broker = _Broker(monkeypatch, took=0.002, records=False)
    assert broker.fetch() == (False, 0.002) and broker.slept == []
    with pytest.raises(ValueError, match=">= 0"):
        fetch_wait.apply(-1)


def test_the_worker_applies_the_configured_wait(tmp_path):
    from types import SimpleNamespace

    from pipeline.app import create_app
    from schemas.config import Config

    cfg = Config.model_validate({"kafka": {"empty_fetch_wait_ms": 250}, "worker": {"data_dir": str(tmp_path)}})
    create_app(cfg, engine=SimpleNamespace(), notifiers=[])
    assert fetch_wait._wait_s == 0.25 and Fetcher._proc_fetch_request is fetch_wait._proc_fetch_request
