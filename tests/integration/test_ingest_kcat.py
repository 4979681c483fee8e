"""Producers we did not write: kcat pipes JSONL files into input topics of every format; a worker with
its own config classifies them and the verdicts land in Elasticsearch with the right fields."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kafka import KafkaAdminClient

from pipeline.elastic import sync_client
from tests.integration.conftest import REPO, running_worker, wait_until

pytestmark = pytest.mark.integration

EMAIL = "tom.baker@example.com"
NATIVE_EMAIL = "rosa.diaz@example.org"
TOPICS = {"native": "ingest.native", "mapped": "ingest.applogs", "otlp": "ingest.otlp", "openai": "ingest.openai"}
DOC_BLOCKS = dict(re.findall(r"<!-- test: ([\w-]+) -->\n```\w*\n(.*?)```",
                             (REPO / "docs" / "ingestion.md").read_text(), flags=re.S))


@pytest.fixture(scope="module")
def ingest_config(stack, tmp_path_factory) -> tuple[dict, Path]:
    """A worker config of its own: four input topics, its own output topics, indices and group."""
    stack_cfg, state = stack
    workdir = tmp_path_factory.mktemp("ingest-worker")
    # The mapping is the documented one for samples/applogs.jsonl, so the docs cannot drift from this test.
    mapping = yaml.safe_load(DOC_BLOCKS["config-applogs"])["kafka"]["inputs"][0]["mapping"]
    raw = {
        "kafka": {"bootstrap_servers": [state.bootstrap], "consumer_group": "guardstream-ingest-it",
                  "topics": {"events": TOPICS["native"], "verdicts": "ingest.verdicts", "dlq": "ingest.dlq",
                             "partitions": 2},
                  "inputs": [{"topic": TOPICS["native"], "format": "native"},
                             {"topic": TOPICS["mapped"], "format": "mapped", "mapping": mapping},
                             {"topic": TOPICS["otlp"], "format": "otlp_json", "max_record_bytes": 1048576},
                             {"topic": TOPICS["openai"], "format": "openai_chat", "app": "ingest-gateway"}]},
        "elasticsearch": {"hosts": [state.elasticsearch_url], "verdicts_index": "ingest-verdicts",
                          "dead_letters_index": "ingest-dead-letters", "alerts_index": "ingest-alerts",
                          "rates_index": "ingest-rates"},
        "worker": {"data_dir": str(workdir / "data"), "web_port": 0, "max_batch": 32, "batch_within_s": 0.2},
        "stack": {"kafka_port": stack_cfg.kafka_port, "elasticsearch_port": stack_cfg.elasticsearch_port,
                  "data_dir": str(stack_cfg.data_dir)},
    }
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return raw, path


@pytest.fixture(scope="module")
def ingest_worker(ingest_config, tmp_path_factory):
    raw, path = ingest_config
    # `guardstream setup` is what an operator runs: it must create every input topic.
    subprocess.run([sys.executable, "-m", "pipeline.cli", "setup", "-c", str(path)], cwd=REPO, check=True,
                   capture_output=True, timeout=120)
    admin = KafkaAdminClient(bootstrap_servers=raw["kafka"]["bootstrap_servers"])
    try:
        assert set(TOPICS.values()) <= set(admin.list_topics())
    finally:
        admin.close()
    with running_worker(path, tmp_path_factory.mktemp("ingest-worker-log") / "worker.log") as running:
        yield running


@pytest.fixture(scope="module")
def es(ingest_config):
    return sync_client(_cfg(ingest_config).elasticsearch)


def _cfg(ingest_config):
    from schemas.config import Config

    return Config.model_validate(ingest_config[0])


def kcat(bootstrap: str, topic: str, jsonl: Path) -> None:
    """``kcat -P -b BROKER -t TOPIC < FILE``, as docs/ingestion.md shows it: one record per line."""
    with open(jsonl, "rb") as stdin:
        done = subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic], stdin=stdin,
                              capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()


def _docs(es, index: str, ids: list[str]) -> dict[str, dict] | None:
    es.indices.refresh(index=index)
    hits = es.search(index=index, query={"ids": {"values": ids}}, size=len(ids) + 5, version=True)["hits"]["hits"]
    found = {h["_id"]: {**h["_source"], "_version": h["_version"]} for h in hits}
    assert len(hits) == len(found), "a document is indexed twice"
    return found if len(found) == len(ids) else None


@pytest.fixture(scope="module")
def bootstrap(ingest_config) -> str:
    return ingest_config[0]["kafka"]["bootstrap_servers"][0]


def test_kcat_native_events_are_classified_and_indexed(ingest_worker, bootstrap, es, tmp_path):
    lines = [
        {"event_id": "kcat-n1", "@timestamp": "2026-01-05T09:00:00Z", "kind": "prompt", "app": "kcat-app",
         "model": "m-native", "conversation_id": "c-1", "user_id": "u-1", "tenant": "acme",
         "text": f"Hi, please write to {NATIVE_EMAIL} about my order."},
        {"event_id": "kcat-n2", "@timestamp": "2026-01-05T09:00:01Z", "kind": "response", "app": "kcat-app",
         "model": "m-native", "text": "You are a worthless idiot and everyone hates you, shut up."},
        {"event_id": "kcat-n3", "@timestamp": "2026-01-05T09:00:02Z", "kind": "tool_call", "app": "kcat-app",
         "model": "m-native", "tool": {"name": "send_mail", "arguments": {"to": NATIVE_EMAIL}}},
    ]
    jsonl = tmp_path / "native.jsonl"
    jsonl.write_text("".join(json.dumps(line) + "\n" for line in lines))
    kcat(bootstrap, TOPICS["native"], jsonl)

    docs = wait_until(lambda: _docs(es, "ingest-verdicts", ["kcat-n1", "kcat-n2", "kcat-n3"]),
                      what="the kcat native events indexed")
    for doc_id, doc in docs.items():
        assert doc["event"]["id"] == doc_id and doc["service"]["name"] == "kcat-app"
        assert doc["gen_ai"]["request"]["model"] == "m-native"
    first = docs["kcat-n1"]
    assert NATIVE_EMAIL not in first["message"] and "<EMAIL>" in first["message"]
    assert (first["guardstream"]["kind"], first["gen_ai"]["conversation"]["id"], first["user"]["id"],
            first["organization"]["id"]) == ("prompt", "c-1", "u-1", "acme")
    assert "toxicity" in docs["kcat-n2"]["guardstream"]["violations"]
    assert docs["kcat-n3"]["gen_ai"]["tool"]["name"] == "send_mail"
    assert NATIVE_EMAIL not in json.dumps(docs["kcat-n3"])


def _applog_ids() -> tuple[list[bytes], dict[str, bytes]]:
    lines = (REPO / "samples" / "applogs.jsonl").read_bytes().splitlines()
    llm = [line for line in lines if json.loads(line)["event"] in ("llm.prompt", "llm.completion", "llm.tool_call")
           and "model" in json.loads(line)["llm"]]
    return lines, {f"log:{hashlib.sha256(line).hexdigest()[:24]}": line for line in llm}


def test_kcat_app_log_lines_are_mapped_classified_and_indexed(ingest_worker, bootstrap, es):
    lines, by_id = _applog_ids()
    assert len(lines) == 9 and len(by_id) == 5
    kcat(bootstrap, TOPICS["mapped"], REPO / "samples" / "applogs.jsonl")

    docs = wait_until(lambda: _docs(es, "ingest-verdicts", list(by_id)), what="the 5 mapped app-log events")
    by_kind_app = {(d["guardstream"]["kind"], d["service"]["name"]): d for d in docs.values()}
    assert set(by_kind_app) == {("prompt", "checkout-api"), ("tool_call", "checkout-api"),
                                ("response", "checkout-api"), ("prompt", "search-api"), ("response", "search-api")}
    prompt = by_kind_app[("prompt", "checkout-api")]
    assert prompt["gen_ai"]["request"]["model"] == "gpt-4o-mini"
    assert prompt["@timestamp"].startswith("2026-01-05T11:00:01.2")
    assert prompt["gen_ai"]["conversation"]["id"] == "sess-5531" and prompt["user"]["id"] == "u-7c21"
    assert prompt["labels"] == {"env": "prod", "logger": "checkout.llm"}
    assert EMAIL not in prompt["message"] and "<EMAIL>" in prompt["message"]
    assert "pii" in prompt["guardstream"]["violations"]
    call = by_kind_app[("tool_call", "checkout-api")]
    assert call["gen_ai"]["tool"]["name"] == "send_invoice"
    assert call["gen_ai"]["tool"]["call"]["arguments"]["order"] == 5531
    assert EMAIL not in json.dumps(call)
    insult = by_kind_app[("response", "search-api")]
    assert insult["gen_ai"]["request"]["model"] == "llama-3.1-8b" and insult["labels"]["env"] == "prod"
    assert "toxicity" in insult["guardstream"]["violations"]
    assert by_kind_app[("response", "checkout-api")]["guardstream"]["violations"] == []

    # The line without a model is a dead letter naming the field; the filtered lines are nothing at all.
    def letters():
        es.indices.refresh(index="ingest-dead-letters")
        hits = es.search(index="ingest-dead-letters", query={"term": {"guardstream.source.topic": TOPICS["mapped"]}})
        return [h["_source"] for h in hits["hits"]["hits"]] or None

    [letter] = wait_until(letters, what="the app-log dead letter")
    assert letter["error"]["type"] == "adapter_error" and letter["error"]["message"] == "model: nothing at $.llm.model"
    es.indices.refresh(index="ingest-verdicts")
    apps = {"terms": {"service.name": ["checkout-api", "search-api"]}}
    assert es.count(index="ingest-verdicts", query=apps)["count"] == 5

    # Replaying the file overwrites the same documents (ids come from the lines), never duplicates them.
    kcat(bootstrap, TOPICS["mapped"], REPO / "samples" / "applogs.jsonl")
    wait_until(lambda: all(d["_version"] > 1 for d in (_docs(es, "ingest-verdicts", list(by_id)) or {}).values()),
               what="the replay re-indexed")
    assert es.count(index="ingest-verdicts", query=apps)["count"] == 5


def test_kcat_otlp_json_and_openai_records(ingest_worker, bootstrap, es, tmp_path):
    otlp = tmp_path / "otlp.jsonl"
    otlp.write_text("".join(json.dumps(json.loads((REPO / "samples" / "otlp" / name).read_text())) + "\n"
                            for name in ("traces_chat.json", "traces_span_events.json", "logs_events.json")))
    kcat(bootstrap, TOPICS["otlp"], otlp)
    chat = tmp_path / "openai.jsonl"
    chat.write_text(json.dumps(json.loads(DOC_BLOCKS["openai-record"])) + "\n")
    kcat(bootstrap, TOPICS["openai"], chat)

    trace = "otel:5b8efff798038103d269b633813fc60c"
    ids = [f"{trace}:eee19b7ec3c1b174:prompt", f"{trace}:eee19b7ec3c1b174:response0:tool0",
           f"{trace}:1a2b3c4d5e6f7081:tool", "otel:4bf92f3577b34da6a3ce929d0e0e4736:1111111111111111:response0",
           "otel:0af7651916cd43dd8448eb211c80319c:c0ffee00c0ffee01:prompt",
           "chatcmpl-9pX2:prompt", "chatcmpl-9pX2:response0:tool0"]
    docs = wait_until(lambda: _docs(es, "ingest-verdicts", ids), what="OTLP and chat completion events")
    prompt = docs[f"{trace}:eee19b7ec3c1b174:prompt"]
    assert (prompt["service"]["name"], prompt["gen_ai"]["request"]["model"], prompt["guardstream"]["kind"]) == \
        ("travel-agent", "gpt-4o-mini", "prompt")
    assert prompt["gen_ai"]["conversation"]["id"] == "conv-7f3a"
    assert prompt["labels"]["otel.trace_id"] == "5b8efff798038103d269b633813fc60c"
    assert "ana.lopes@example.com" not in json.dumps(docs)  # in the prompt and the tool arguments: masked
    executed = docs[f"{trace}:1a2b3c4d5e6f7081:tool"]
    assert executed["gen_ai"]["tool"]["name"] == "search_flights" and executed["guardstream"]["kind"] == "tool_call"
    assert docs["otel:4bf92f3577b34da6a3ce929d0e0e4736:1111111111111111:response0"]["service"]["name"] == "hr-helper"
    structured = docs["otel:0af7651916cd43dd8448eb211c80319c:c0ffee00c0ffee01:prompt"]  # AnyValue arrays
    assert structured["message"] == "Thanks, you useless bot."
    assert {"toxicity", "bias", "pii"} <= set(structured["guardstream"]["scores"])
    chat_prompt = docs["chatcmpl-9pX2:prompt"]
    assert (chat_prompt["service"]["name"], chat_prompt["message"]) == ("support-bot", "It is A-1009.")
    assert docs["chatcmpl-9pX2:response0:tool0"]["gen_ai"]["tool"]["call"]["arguments"] == {"order_id": "A-1009"}
