"""The worker's Kafka settings: static group membership, the Faust recovery fix, the processing guarantee."""
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


class _Recorder:
    """Stands in for the app, consumer and fetcher, writing down the order of the calls that matter."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        rec = self

        class Consumer:
            def assignment(self):
                return {"stream-0", "changelog-0"}

            async def perform_seek(self):
                rec.calls.append("seek")

            def resume_flow(self):
                rec.calls.append("resume_flow")

            def resume_partitions(self, tps):
                rec.calls.append(f"resume_partitions:{','.join(sorted(tps))}")

        class FlowControl:
            def resume(self):
                rec.calls.append("flow_control.resume (empties the agents' queues)")

        class Fetcher:
            async def maybe_start(self):
                rec.calls.append("fetcher")

        async def send():
            return None

        self.app = SimpleNamespace(
            consumer=Consumer(), flow_control=FlowControl(), _fetcher=Fetcher(), consumer_generation_id=1,
            conf=SimpleNamespace(broker_request_timeout=1.0), on_rebalance_complete=SimpleNamespace(send=send),
            on_rebalance_end=lambda: rec.calls.append("rebalance_end"))


def test_streams_are_rewound_after_the_queues_are_emptied():
    """flow_control.resume() throws away what was handed out; a seek after it makes those records come again."""
    assert faust_fixes.apply()
    rec = _Recorder()

    async def wait(coro, timeout=None):
        await coro

    recovery = SimpleNamespace(
        app=rec.app, log=SimpleNamespace(info=lambda *a: None, warning=lambda *a: None),
        completed=asyncio.Event(), _wait=wait, _is_changelog_tp=lambda tp: tp.startswith("changelog"),
        tables=SimpleNamespace(on_actives_ready=lambda: None, on_standbys_ready=lambda: None))
    asyncio.run(Recovery._resume_streams(recovery, generation_id=1))
    calls = rec.calls
    emptied = calls.index("flow_control.resume (empties the agents' queues)")
    assert "seek" in calls[emptied:calls.index("fetcher")], calls
    assert calls.index("resume_partitions:stream-0") < emptied
    assert recovery.completed.is_set() and calls[-1] == "rebalance_end"


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
