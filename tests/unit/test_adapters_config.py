"""Input topics in the config, the adapter registry, and dispatch: never raising, 0..n events per record."""
from __future__ import annotations

import json

import pytest

from pipeline.adapters import ADAPTERS, adapter_class, adapters_for
from pipeline.adapters.base import AdapterError, RecordContext, build_event
from pipeline.adapters.native import NativeAdapter
from pipeline.decode import Rejection, decode_event, decode_record
from schemas.config import Config, ConfigError, load_config

GOOD = {"event_id": "e-1", "@timestamp": "2026-01-01T00:00:00Z", "kind": "prompt", "app": "a", "model": "m",
        "text": "hello"}


def _load(tmp_path, kafka: dict) -> Config:
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({"kafka": kafka}))
    return load_config(path, environ={})


def test_default_input_is_the_native_events_topic_and_follows_it(tmp_path):
    assert [(i.topic, i.format) for i in load_config(None, environ={}).kafka.inputs] == [("genai.events", "native")]
    cfg = _load(tmp_path, {"topics": {"events": "my.events"}})
    assert [(i.topic, i.format) for i in cfg.kafka.inputs] == [("my.events", "native")]


def test_inputs_build_one_adapter_per_topic(tmp_path):
    cfg = _load(tmp_path, {"inputs": [
        {"topic": "genai.events"}, {"topic": "otlp.spans", "format": "otlp_json", "model": "fallback"},
        {"topic": "chat", "format": "openai_chat", "app": "gw"},
        {"topic": "logs", "format": "mapped", "mapping": {"kind": {"const": "prompt"}, "app": "$.a",
                                                           "model": "$.m", "text": "$.t"}}]})
    adapters = adapters_for(cfg.kafka)
    assert {t: a.name for t, a in adapters.items()} == {"genai.events": "native", "otlp.spans": "otlp_json",
                                                         "chat": "openai_chat", "logs": "mapped"}
    assert adapters["otlp.spans"].model == "fallback" and adapters["chat"].app == "gw"


@pytest.mark.parametrize("kafka,fragments", [
    ({"inputs": [{"topic": "t", "format": "avro"}]},
     ["kafka.inputs.0.format", "mapped, native, openai_chat, otlp_json"]),
    ({"inputs": [{"topic": "t", "format": "mapped"}]}, ["kafka.inputs.0", "needs a 'mapping'"]),
    ({"inputs": [{"topic": "t", "mapping": {}}]}, ["kafka.inputs.0.mapping"]),
    ({"inputs": [{"topic": "t", "app": "x"}]}, ["kafka.inputs.0", "'app' is only read with formats"]),
    ({"inputs": [{"topic": "t"}, {"topic": "t", "format": "otlp_json"}]}, ["inputs.1.topic", "listed twice"]),
    ({"inputs": [{"topic": "genai.verdicts"}]}, ["inputs.0.topic", "verdicts or DLQ"]),
    ({"inputs": [{"topic": "t", "max_record_bytes": 10}]}, ["kafka.inputs.0.max_record_bytes"]),
    ({"inputs": [{"format": "native"}]}, ["kafka.inputs.0.topic"]),
    ({"inputs": [{"topic": "bad topic/name"}]}, ["kafka.inputs.0.topic", "pattern"]),
])
def test_bad_inputs_are_start_up_errors_that_name_the_key(tmp_path, kafka, fragments):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, kafka)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def test_unknown_format_in_the_registry_lists_the_valid_ones():
    with pytest.raises(KeyError) as err:
        adapter_class("csv")
    assert all(name in str(err.value) for name in ADAPTERS)


@pytest.mark.parametrize("raw", [
    json.dumps(GOOD).encode(), json.dumps({**GOOD, "kind": "banana"}).encode(), b"", b"\xff", b"[1]",
    b'{"event_id": "e', json.dumps({**GOOD, "text": "x" * 5000}).encode(),
])
def test_native_dispatch_keeps_decode_event_behaviour(raw):
    old = decode_event(raw, max_bytes=2048)
    new = decode_record(raw, NativeAdapter(), max_bytes=2048)
    assert new == old if isinstance(old, Rejection) else new == [old]


class _Exploding:
    name = "exploding"

    def adapt(self, data, ctx):
        raise ZeroDivisionError("secret@example.com")  # an adapter bug, with data in its message


class _Twice:
    name = "twice"

    def adapt(self, data, ctx):
        event = build_event({**GOOD, "event_id": f"t:{ctx.record_id}"})
        return [event, event, build_event({**GOOD, "event_id": "other"})]


def test_an_adapter_bug_becomes_a_dead_letter_not_a_crash_and_leaks_no_data():
    result = decode_record(json.dumps(GOOD).encode(), _Exploding(), max_bytes=10_000)
    assert isinstance(result, Rejection) and result.reason == "adapter_error"
    assert result.detail == "exploding adapter failed: ZeroDivisionError"


def test_duplicate_ids_within_one_record_are_kept_once():
    result = decode_record(json.dumps(GOOD).encode(), _Twice(), max_bytes=10_000)
    assert [e.event_id for e in result][1:] == ["other"] and len(result) == 2


def test_build_event_refusals_are_adapter_errors_naming_the_field():
    with pytest.raises(AdapterError) as err:
        build_event({**GOOD, "app": "x" * 200})
    assert err.value.reason == "adapter_error" and "app" in err.value.detail and err.value.event_id == "e-1"


def test_per_input_record_size_limit_and_record_context():
    seen: list[RecordContext] = []

    class _Spy:
        name = "spy"

        def adapt(self, data, ctx):
            seen.append(ctx)
            return []

    raw = json.dumps({"x": "y" * 3000}).encode()
    assert decode_record(raw, _Spy(), max_bytes=4096) == [] and len(seen[0].sha256) == 64
    oversize = decode_record(raw, _Spy(), max_bytes=2048)
    assert isinstance(oversize, Rejection) and oversize.reason == "oversize"


def test_the_worker_subscribes_to_every_input_topic(tmp_path):
    from pipeline.app import create_app

    cfg = Config.model_validate({
        "kafka": {"inputs": [{"topic": "genai.events"}, {"topic": "otlp.spans", "format": "otlp_json"}]},
        "worker": {"web_port": 0, "data_dir": str(tmp_path / "w")}})
    runtime = create_app(cfg, notifiers=[]).guardstream
    assert set(runtime.topics.events.topics) == {"genai.events", "otlp.spans"}
    assert {t: a.name for t, a in runtime.adapters.items()} == {"genai.events": "native", "otlp.spans": "otlp_json"}
