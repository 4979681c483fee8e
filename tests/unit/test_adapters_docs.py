"""Every example in docs/ingestion.md matches the code: configs load, records map, the Python example runs."""
from __future__ import annotations

import logging
import re
import shlex
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

import pipeline.emit as emit_module
from pipeline.adapters import build_adapter
from pipeline.decode import Rejection, decode_record
from schemas.config import Config, load_config
from tests.unit.test_emit import FakeBroker

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "ingestion.md").read_text()
BLOCKS = dict(re.findall(r"<!-- test: ([\w-]+) -->\n```\w*\n(.*?)```", DOC, flags=re.S))


def _config(name: str, tmp_path: Path) -> Config:
    path = tmp_path / f"{name}.yaml"
    path.write_text(BLOCKS[name])
    return load_config(path, environ={})


def _input(cfg: Config, topic: str):
    return next(source for source in cfg.kafka.inputs if source.topic == topic)


def test_every_marked_example_was_found():
    assert set(BLOCKS) == {"config-inputs", "python", "kcat", "config-applogs", "collector", "openai-record",
                           "rsyslog", "rsyslog-record", "config-rsyslog"}


@pytest.mark.parametrize("name", ["config-inputs", "config-applogs", "config-rsyslog"])
def test_config_examples_are_valid(name, tmp_path):
    assert _config(name, tmp_path).kafka.inputs


def test_the_applogs_mapping_on_the_sample_file(tmp_path):
    adapter = build_adapter(_input(_config("config-applogs", tmp_path), "app.logs"))
    lines = (REPO / "samples" / "applogs.jsonl").read_bytes().splitlines()
    results = [decode_record(line, adapter, max_bytes=1 << 20) for line in lines]
    events = [e for r in results if not isinstance(r, Rejection) for e in r]
    rejected = [r for r in results if isinstance(r, Rejection)]
    assert len(lines) == 9 and len(events) == 5 and sum(r == [] for r in results) == 3
    assert [(r.reason, r.detail) for r in rejected] == [("adapter_error", "model: nothing at $.llm.model")]
    assert [(e.kind, e.app, e.model) for e in events] == [
        ("prompt", "checkout-api", "gpt-4o-mini"), ("tool_call", "checkout-api", "gpt-4o-mini"),
        ("response", "checkout-api", "gpt-4o-mini"), ("prompt", "search-api", "llama-3.1-8b"),
        ("response", "search-api", "llama-3.1-8b")]
    prompt, call, _, search, _ = events
    assert prompt.timestamp == datetime(2026, 1, 5, 11, 0, 1, 200000, tzinfo=timezone.utc)
    assert (prompt.conversation_id, prompt.user_id) == ("sess-5531", "u-7c21")
    assert prompt.labels == {"env": "prod", "logger": "checkout.llm"}
    assert call.tool.name == "send_invoice" and call.tool.arguments == {"order": 5531, "email": "tom.baker@example.com"}
    assert search.labels["env"] == "prod" and search.user_id is None  # flat "service.env" key found


def test_the_collector_config_writes_otlp_json_to_the_configured_topics(tmp_path):
    collector = yaml.safe_load(BLOCKS["collector"])
    kafka = collector["exporters"]["kafka"]
    otlp_inputs = {s.topic for s in _config("config-inputs", tmp_path).kafka.inputs if s.format == "otlp_json"}
    assert {kafka[signal]["topic"] for signal in ("traces", "logs")} == otlp_inputs
    assert all(kafka[signal]["encoding"] == "otlp_json" for signal in ("traces", "logs"))
    assert kafka["brokers"] == load_config(None, environ={}).kafka.bootstrap_servers
    for pipeline in collector["service"]["pipelines"].values():
        assert pipeline["exporters"] == ["kafka"]


def test_the_openai_record_gives_the_documented_events(tmp_path):
    adapter = build_adapter(_input(_config("config-inputs", tmp_path), "llm.completions"))
    events = {e.event_id: e for e in decode_record(BLOCKS["openai-record"].encode(), adapter, max_bytes=1 << 20)}
    assert sorted(events) == ["chatcmpl-9pX2:prompt", "chatcmpl-9pX2:response0", "chatcmpl-9pX2:response0:tool0"]
    assert events["chatcmpl-9pX2:prompt"].text == "It is A-1009."
    assert events["chatcmpl-9pX2:response0"].text == "Let me check."
    call = events["chatcmpl-9pX2:response0:tool0"].tool
    assert call.name == "track_order" and call.arguments == {"order_id": "A-1009"}
    prompt = events["chatcmpl-9pX2:prompt"]
    assert (prompt.app, prompt.model, prompt.user_id, prompt.conversation_id, prompt.labels) == \
        ("support-bot", "gpt-4o-mini-2024-07-18", "u-3f2a", "c-42", {"region": "eu"})


def test_the_rsyslog_record_through_its_mapping(tmp_path):
    cfg = _config("config-rsyslog", tmp_path)
    rsyslog = BLOCKS["rsyslog"]
    [topic] = re.findall(r'topic="([^"]+)"', rsyslog)
    assert 'template="guardstream_json"' in rsyslog and 'template(name="guardstream_json"' in rsyslog
    [event] = decode_record(BLOCKS["rsyslog-record"].strip().encode(), build_adapter(_input(cfg, topic)),
                            max_bytes=1 << 20)
    assert (event.kind, event.app, event.model, event.text, event.conversation_id) == \
        ("response", "llm-support", "gpt-4o-mini", "Your refund was approved.", "c-77")
    assert event.timestamp == datetime(2026, 1, 5, 12, 0, 1, 250000, tzinfo=timezone.utc)
    assert event.labels == {"host": "web-3"}


def test_the_kcat_lines_target_configured_topics_and_existing_files(tmp_path):
    topics = {s.topic for name in ("config-inputs", "config-applogs") for s in _config(name, tmp_path).kafka.inputs}
    lines = [line.split("#")[0] for line in BLOCKS["kcat"].splitlines() if "kcat -P" in line]
    assert len(lines) == 3
    for line in lines:
        words = shlex.split(line.split("|")[-1])
        assert words[:2] == ["kcat", "-P"] and words[words.index("-b") + 1] == "127.0.0.1:19092"
        assert words[words.index("-t") + 1] in topics
        source = words[words.index("<") + 1] if "<" in words else shlex.split(line)[2]
        assert (REPO / source).exists(), source


def test_the_python_example_runs_and_sends_what_it_says(monkeypatch):
    broker = FakeBroker()
    made = []

    class LocalEmitter(emit_module.Emitter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, producer_factory=broker.producer, **kwargs)
            made.append(self)

    monkeypatch.setattr(emit_module, "Emitter", LocalEmitter)
    loggers = [logging.getLogger("support.llm"), logging.getLogger("support.llm.replies")]
    try:
        exec(compile(BLOCKS["python"], "docs/ingestion.md", "exec"), {"__name__": "docs_example"})
    finally:
        for log in loggers:
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.setLevel(logging.NOTSET)
    assert len(made) == 1 and made[0].stats()["buffered"] == 0
    events = broker.events()
    assert [(e.kind, e.app, e.model) for e in events] == [("prompt", "support-bot", "gpt-4o-mini"),
                                                          ("response", "support-bot", "gpt-4o-mini"),
                                                          ("tool_call", "support-bot", "gpt-4o-mini"),
                                                          ("response", "support-bot", "gpt-4o-mini"),
                                                          ("response", "support-bot", "gpt-4o-mini")]
    assert events[0].user_id == "u-3f2a" and events[2].tool.name == "lookup_account"
    assert events[3].text == "Happy to help with anything else." and events[3].conversation_id == "c-42"
    assert events[4].text == "Your order ships tomorrow." and events[4].conversation_id == "c-43"
    assert events[4].labels["log.logger"] == "support.llm.replies"
