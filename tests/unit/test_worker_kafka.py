"""The worker's Kafka settings: static group membership, producer linger, the Faust recovery fix, the processing
guarantee."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust
import pytest
from faust.tables.recovery import Recovery

from pipeline import faust_fixes
from pipeline.app import create_app
from pipeline.kafka_io import group_instance_id
from schemas.config import Config, KafkaConfig


def test_auto_instance_id_is_stable_for_a_data_dir_and_differs_between_data_dirs(tmp_path):
    cfg = KafkaConfig()
    a1 = group_instance_id(cfg, tmp_path / "a")
    assert a1 == group_instance_id(cfg, tmp_path / "a" / ".." / "a")  # same directory, same member
    assert a1 != group_instance_id(cfg, tmp_path / "b")
    assert a1.startswith("guardstream-")


def test_explicit_and_disabled_instance_ids_are_used_as_given(tmp_path):
    assert group_instance_id(KafkaConfig(group_instance_id="worker-0"), tmp_path) == "worker-0"
    assert group_instance_id(KafkaConfig(group_instance_id=None), tmp_path) is None


def test_an_instance_id_kafka_would_refuse_is_refused_at_load_time():
    with pytest.raises(ValueError, match="group_instance_id"):
        Config.model_validate({"kafka": {"group_instance_id": "has spaces"}})


def test_the_worker_app_joins_as_a_static_member(tmp_path):
    cfg = Config.model_validate({"worker": {"data_dir": str(tmp_path / "w")}})
    app = create_app(cfg, engine=SimpleNamespace(), notifiers=[])
    assert app.conf.consumer_group_instance_id == group_instance_id(cfg.kafka, tmp_path / "w")


def test_the_producer_lingers_as_configured(tmp_path):
    def linger(ms):
        cfg = Config.model_validate({"kafka": {"producer_linger_ms": ms}, "worker": {"data_dir": str(tmp_path)}})
        return create_app(cfg, engine=SimpleNamespace(), notifiers=[]).conf.producer_linger

    assert linger(25) == pytest.approx(0.025)
    assert linger(0) == 0
    assert Config().kafka.producer_linger_ms == 10


class _Partition:
    """One stream partition behind Faust's fetch loop, as faust-streaming 0.15 drives it.

    The loop fetches batches of records from ``position`` and hands each to the agents' queue unless the
    flow is stopped (then it drops the rest of the batch) or the record is at or below the highest
    offset already handed out (``read_offset``). A seek is a broker round trip: the loop runs meanwhile.
    """

    BATCH = 8

    def __init__(self, records: int) -> None:
        self.records = records
        self.position = self.committed = 0
        self.read_offset: int | None = None
        self.flow_active = True  # a worker's first assignment starts with the flow on
        self.paused = True  # stream partitions stay paused while the tables are recovered
        self.queue: list[int] = []  # the agents' input queue
        self.processed: list[int] = []

    # -- the consumer, flow control and fetcher, as the recovery sees them -----------------------
    def assignment(self):
        return {"stream-0", "changelog-0"}

    def resume_partitions(self, tps):
        assert tps == {"stream-0"}
        self.paused = False

    def stop_flow(self):
        self.flow_active = False

    def resume_flow(self):
        self.flow_active = True

    async def perform_seek(self):
        for _ in range(3):  # the broker round trip
            await asyncio.sleep(0)
        self.position = self.read_offset = self.committed

    def resume(self):  # app.flow_control.resume()
        self.queue.clear()

    async def maybe_start(self):  # app._fetcher.maybe_start()
        pass

    # -- the fetch loop and one agent ------------------------------------------------------------------
    async def fetch_loop(self) -> None:
        while len(self.processed) < self.records:
            await asyncio.sleep(0)
            if self.paused or not self.flow_active or self.position >= self.records:
                continue
            batch = range(self.position, min(self.position + self.BATCH, self.records))
            self.position = batch[-1] + 1
            for offset in batch:
                if not self.flow_active:
                    break
                if self.read_offset is None or offset >= self.read_offset:
                    self.queue.append(offset)
                    self.read_offset = offset
                await asyncio.sleep(0)  # handing a record over lets other tasks run

    async def agent(self) -> None:
        while len(self.processed) < self.records:
            await asyncio.sleep(0)
            while self.queue:
                self.processed.append(self.queue.pop(0))


def _run_recovery(records: int, *, delay: int) -> list[int]:
    """Start the fetch loop and an agent, run Faust's stream resumption after ``delay`` loop turns,
    and return the offsets the agent processed (the loop gives up after a bounded number of turns)."""
    part = _Partition(records)

    async def wait(coro, timeout=None):
        await coro

    async def send():
        return None

    app = SimpleNamespace(consumer=part, flow_control=part, _fetcher=part, consumer_generation_id=1,
                          conf=SimpleNamespace(broker_request_timeout=1.0),
                          on_rebalance_complete=SimpleNamespace(send=send), on_rebalance_end=lambda: None)
    recovery = SimpleNamespace(
        app=app, log=SimpleNamespace(info=lambda *a: None, warning=lambda *a: None, dev=lambda *a: None),
        completed=asyncio.Event(), _wait=wait, _is_changelog_tp=lambda tp: tp.startswith("changelog"),
        tables=SimpleNamespace(on_actives_ready=lambda: None, on_standbys_ready=lambda: None))

    async def main():
        tasks = [asyncio.ensure_future(part.fetch_loop()), asyncio.ensure_future(part.agent())]
        for _ in range(delay):
            await asyncio.sleep(0)
        await Recovery._resume_streams(recovery, generation_id=1)
        await asyncio.wait(tasks, timeout=2.0)
        for task in tasks:
            task.cancel()

    asyncio.run(main())
    return part.processed


def test_no_record_handed_out_while_the_streams_open_is_lost():
    """Faust 0.15 emptied the queues after handing records out, then dropped them when they came again."""
    assert faust_fixes.apply()
    for delay in range(6):  # wherever the fetch loop stands when the recovery resumes the streams
        processed = _run_recovery(40, delay=delay)
        assert sorted(set(processed)) == list(range(40)), (delay, processed)


def test_the_simulated_fetch_loop_loses_records_under_faust_s_own_order(monkeypatch):
    """The simulation reproduces the defect, so the test above would fail without the fix."""
    monkeypatch.setattr(Recovery, "_resume_streams", faust_fixes.ORIGINAL_RESUME_STREAMS)
    assert any(sorted(set(_run_recovery(40, delay=d))) != list(range(40)) for d in range(6))


def test_the_fix_refuses_a_faust_release_it_was_not_checked_against(monkeypatch):
    monkeypatch.setattr(faust_fixes, "_applied", False)
    monkeypatch.setattr(faust, "__version__", "9.9.9")
    before = Recovery._resume_streams
    assert faust_fixes.apply() is False
    assert Recovery._resume_streams is before


def test_the_processing_guarantee_reaches_faust(tmp_path):
    for guarantee in ("at_least_once", "exactly_once"):
        cfg = Config.model_validate({"worker": {"data_dir": str(tmp_path), "processing_guarantee": guarantee}})
        assert create_app(cfg, engine=SimpleNamespace(), notifiers=[]).conf.processing_guarantee.value == guarantee
