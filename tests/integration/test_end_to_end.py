"""The whole path on the real embedded stack: kafka-python in, Elasticsearch and HTTP receivers out."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from kafka import KafkaConsumer

from pipeline.elastic import sync_client
from pipeline.kafka_io import produce_lines
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

EMAIL = "jane.roe@example.org"
CARD = "4111 1111 1111 1111"
SSN = "536-22-1498"
NAME = "Maria Gonzalez"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def _event(event_id: str, text: str, *, app: str = "it-app", at: datetime = T0, kind: str = "response",
           **extra) -> bytes:
    doc = {"event_id": event_id, "@timestamp": at.isoformat(), "kind": kind, "app": app,
           "model": "it-model", "text": text, **extra}
    return json.dumps(doc).encode()


def _hit(es, index: str, doc_id: str):
    """The one document with this id behind the alias ``index`` (daily indices), with its version."""
    es.indices.refresh(index=index)
    hits = es.search(index=index, query={"ids": {"values": [doc_id]}}, version=True)["hits"]["hits"]
    assert len(hits) <= 1, f"{doc_id} is indexed {len(hits)} times"
    return hits[0] if hits else None


def _get(es, index: str, doc_id: str):
    hit = _hit(es, index, doc_id)
    return hit["_source"] if hit else None


@pytest.fixture(scope="module")
def es(worker_config):
    return sync_client(worker_config[0].elasticsearch)


@pytest.fixture(scope="module")
def produced(worker, worker_config):
    """One mixed batch: clean, toxic, PII in text and tool arguments, and three bad records."""
    cfg = worker_config[0]
    lines = [
        # Places are PII by default (names, places and organisations come from the classifier's pass).
        _event("it-clean", "Thanks, the weather is sunny today."),
        _event("it-toxic", "You are a worthless idiot and everyone hates you, shut up."),
        _event("it-pii", f"Sure, I am {NAME}: email me at {EMAIL} or use card {CARD}, my SSN is {SSN}."),
        json.dumps({"event_id": "it-tool", "@timestamp": T0.isoformat(), "kind": "tool_call",
                    "app": "it-app", "model": "it-model",
                    "tool": {"name": "create_ticket",
                             "arguments": {"customer": {"email": EMAIL}, "note": "call back"}}}).encode(),
        b'{"event_id": "it-bad-json", "text": "' + EMAIL.encode() + b'"',   # truncated JSON with PII
        json.dumps({"event_id": "it-bad-kind", "@timestamp": T0.isoformat(), "kind": "banana",
                    "app": "it-app", "model": "it-model", "text": "hi"}).encode(),
        b"x" * (cfg.worker.max_event_bytes + 1),
    ]
    produce_lines(iter(lines), cfg.kafka)
    return lines


def test_verdicts_are_indexed_with_scores_and_masked_text(es, produced, worker_config):
    index = worker_config[0].elasticsearch.verdicts_index
    docs = {i: wait_until(lambda i=i: _get(es, index, i), what=f"verdict {i}")
            for i in ("it-clean", "it-toxic", "it-pii", "it-tool")}
    gs = {i: d["guardstream"] for i, d in docs.items()}
    for doc_id, doc in docs.items():
        assert doc["event"]["id"] == doc_id and doc["service"]["name"] == "it-app"
        assert doc["gen_ai"]["request"]["model"] == "it-model"
        # Every category, plus the toxicity sub-labels (insult, threat, ...) read from the same pass.
        assert {"toxicity", "bias", "pii", "insult", "threat"} <= set(gs[doc_id]["scores"])
        assert all(0.0 <= v <= 1.0 for v in gs[doc_id]["scores"].values())
        assert gs[doc_id]["classifier"]["name"] and gs[doc_id]["classifier"]["revision"]
    assert "toxicity" in gs["it-toxic"]["violations"]
    assert gs["it-toxic"]["scores"]["toxicity"] > gs["it-clean"]["scores"]["toxicity"]
    assert gs["it-clean"]["violations"] == [] and gs["it-clean"]["violated"] is False

    pii_doc = docs["it-pii"]
    for planted in (EMAIL, CARD, SSN, *NAME.split()):
        assert planted not in pii_doc["message"]
    assert {"PERSON", "EMAIL", "CREDIT_CARD", "US_SSN"} <= {e["type"] for e in gs["it-pii"]["pii"]}
    assert "<EMAIL>" in pii_doc["message"] and "pii" in gs["it-pii"]["violations"]

    tool_doc = docs["it-tool"]
    arguments = tool_doc["gen_ai"]["tool"]["call"]["arguments"]
    assert tool_doc["gen_ai"]["tool"]["name"] == "create_ticket"
    assert arguments["customer"]["email"] != EMAIL and arguments["note"] == "call back"
    assert [e["field"] for e in gs["it-tool"]["pii"]] == ["tool.arguments.customer.email"]


def test_bad_records_are_dead_lettered_with_reasons_and_no_pii(es, produced, worker_config):
    cfg = worker_config[0]
    index = cfg.elasticsearch.dead_letters_index

    mine = {"bool": {"must_not": [{"prefix": {"event.id": "dlq-"}}, {"prefix": {"event.id": "fuzz-"}}]}}

    def letters():  # other tests share the session's topics: leave out their dead letters
        es.indices.refresh(index=index)
        hits = es.search(index=index, size=50, query=mine)["hits"]["hits"]
        return [h["_source"] for h in hits] if len(hits) >= 3 else None

    indexed = wait_until(letters, what="3 dead letters in Elasticsearch")
    assert sorted(d["error"]["type"] for d in indexed) == ["malformed_json", "oversize", "schema_violation"]
    by_reason = {d["error"]["type"]: d for d in indexed}
    assert by_reason["schema_violation"]["event"]["id"] == "it-bad-kind"
    assert "kind" in by_reason["schema_violation"]["error"]["message"]
    assert by_reason["oversize"]["guardstream"]["payload"]["bytes"] == cfg.worker.max_event_bytes + 1

    # The DLQ topic itself, read with a plain kafka-python consumer.
    consumer = KafkaConsumer(cfg.kafka.topics.dlq, bootstrap_servers=cfg.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", consumer_timeout_ms=3000)
    records = [json.loads(m.value) for m in consumer]
    consumer.close()
    records = [r for r in records if not (r.get("event_id") or "").startswith(("dlq-", "fuzz-"))]
    assert len(records) == 3
    raw = json.dumps(records) + json.dumps(indexed)
    assert EMAIL not in raw
    assert all(r["source"]["topic"] == cfg.kafka.topics.events for r in records)


def test_reproducing_the_same_events_does_not_duplicate(es, produced, worker_config):
    cfg = worker_config[0]
    index = cfg.elasticsearch.verdicts_index
    wait_until(lambda: _get(es, index, "it-tool"), what="first pass indexed")
    es.indices.refresh(index=index)
    before = es.count(index=index, query={"prefix": {"event.id": "it-"}})["count"]
    version = _hit(es, index, "it-pii")["_version"]
    produce_lines(iter(produced[:4]), cfg.kafka)
    wait_until(lambda: _hit(es, index, "it-tool")["_version"] > version
               and _hit(es, index, "it-pii")["_version"] > version, what="replay processed")
    es.indices.refresh(index=index)
    assert es.count(index=index, query={"prefix": {"event.id": "it-"}})["count"] == before == 4


def test_a_violation_spike_pages_slack_and_pagerduty_once(es, worker, worker_config, inbox):
    """Four quiet minutes for one series, then a toxic burst; the next minute closes the burst window."""
    cfg = worker_config[0]
    quiet = ["Here is the summary of your meeting notes.", "The package will arrive on Tuesday.",
             "I have updated the spreadsheet as requested.", "Your flight departs at nine tomorrow.",
             "The recipe needs two cups of flour.", "Let me know if you need anything else."]
    # The first toxic text carries PII: alerts quote the first examples, which must come masked.
    toxic = [f"You're an idiot, go to hell, and write to {EMAIL} if you disagree.",
             "You are a pathetic moron and I hate you.", "Shut up, you stupid worthless idiot.",
             "Everyone thinks you are a disgusting loser.",
             "What a dumb, useless piece of garbage you are."]
    lines, n = [], 0
    start = T0 + timedelta(hours=2)
    for minute in range(7):
        texts = quiet if minute != 5 else toxic + quiet[:1]
        for k, text in enumerate(texts):
            at = start + timedelta(minutes=minute, seconds=5 * k)
            lines.append(_event(f"spike-{n}", text, app="spiky-app", at=at))
            n += 1
    produce_lines(iter(lines), cfg.kafka)

    def about_toxicity(path):
        return [r["json"] for r in inbox.requests(path)
                if "spiky-app" in json.dumps(r["json"]) and "toxicity spike" in json.dumps(r["json"])]

    slack = wait_until(lambda: about_toxicity("/slack"), timeout_s=90, what="a Slack alert for spiky-app")
    pages = wait_until(lambda: about_toxicity("/pagerduty"), what="a PagerDuty alert for spiky-app")
    assert len(slack) == 1 and len(pages) == 1  # one page per incident, though the burst spans 5 events
    page = pages[0]
    assert page["event_action"] == "trigger"
    assert page["payload"]["severity"] in {"critical", "error", "warning", "info"}
    assert "spiky-app" in page["payload"]["summary"]
    assert page["dedup_key"] and page["routing_key"] == cfg.alerts.pagerduty.routing_key.get_secret_value()
    assert slack[0]["text"] and slack[0]["blocks"][0]["type"] == "header"
    assert "go to hell" in json.dumps(slack[0])  # the PII-bearing example is quoted ...
    assert EMAIL not in json.dumps(inbox.requests())  # ... but only ever masked

    index = cfg.elasticsearch.alerts_index

    def indexed_alerts():  # written after the notifications went out, so it may trail them a little
        es.indices.refresh(index=index)
        return es.search(index=index, query={"bool": {"filter": [
            {"term": {"service.name": "spiky-app"}}, {"term": {"guardstream.category": "toxicity"}}]}})["hits"]["hits"]

    hits = wait_until(indexed_alerts, timeout_s=30, what="the spiky-app alert in the alerts index")
    assert len(hits) == 1
    alert = hits[0]["_source"]["guardstream"]["alert"]
    # PagerDuty dedups on the alert's group (default grouping: one per series), not on the window.
    assert alert["group_key"] == page["dedup_key"] and alert["status"] == "firing"
    # The burst minute, not a quiet one: the quiet minutes built the baseline.
    assert alert["window_start"].startswith((start + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    assert alert["violations"] >= 4
    assert {d["notifier"]: d["outcome"] for d in alert["deliveries"]} == {
        "slack": "delivered", "pagerduty": "delivered"}


def test_closed_windows_are_indexed_as_rates(es, worker_config):
    """Runs after the spike test: its quiet minutes and the burst are charted as rates."""
    index = worker_config[0].elasticsearch.rates_index

    def toxicity_rates():
        es.indices.refresh(index=index)
        hits = es.search(index=index, size=20, sort=[{"@timestamp": "asc"}], query={"bool": {"filter": [
            {"term": {"service.name": "spiky-app"}}, {"term": {"guardstream.category": "toxicity"}}]}})
        rows = [h["_source"]["guardstream"]["rate"] for h in hits["hits"]["hits"]]
        return rows if len(rows) >= 6 else None

    rows = wait_until(toxicity_rates, what="six closed toxicity windows for spiky-app")
    assert [r["events"] for r in rows[:6]] == [6, 6, 6, 6, 6, 6]
    assert rows[5]["violations"] >= 4 and rows[5]["rate"] == rows[5]["violations"] / 6
    assert all(r["window_s"] == 60 for r in rows)
