"""No planted PII survives anywhere the pipeline writes: the index, the DLQ, the worker log, the alerts.

One value of every entity type (tests/unit/test_pii_entities.py PLANTED) goes through the real
stack in prompt and response texts and in tool-call arguments; they arrive as a burst for one
series, so a PII spike alert fires and quotes (masked) examples; a malformed record carrying PII
becomes a dead letter. Then every document of every GuardStream index, every record on the DLQ
and verdicts topics, the worker's log and every request the Slack / PagerDuty receivers got are
searched for each planted value. The planted types must also show up in the verdicts, so the test
fails if detection silently stops instead of passing because nothing was found.

The test runs its own worker (own consumer group and topics, same stack and indices) with the NER
tagger on, card numbers encrypted and e-mails hashed, so those operators are covered end to end:
the encrypted card must decrypt back with the key, and only with it.
"""
from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from kafka import KafkaConsumer

import yaml

from classifiers.pii.tokens import TOKEN_RE, DecryptError, TokenCipher
from pipeline.elastic import sync_client
from pipeline.kafka_io import ensure_topics, produce_lines
from schemas.config import Config
from tests.integration.conftest import running_worker, wait_until
from tests.unit.test_pii_entities import NER_TYPES, PLANTED

pytestmark = pytest.mark.integration

APP = "leak-app"
T0 = datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)
QUIET = ["Here is the summary of your meeting notes.", "The package will arrive soon.",
         "I have updated the spreadsheet as requested.", "Let me know if you need anything else."]
# Dead letters are masked by the pattern recognizers (names need the NER model): plant those types.
BAD_RECORD = (b'{"event_id": "leak-bad", "kind": "prompt", "text": "'
              + " ".join(PLANTED[k][0] for k in sorted(set(PLANTED) - NER_TYPES)).replace('"', "'").encode())


def _event(event_id: str, at: datetime, *, kind: str, text: str | None = None, tool: dict | None = None) -> bytes:
    doc = {"event_id": event_id, "@timestamp": at.isoformat(), "kind": kind, "app": APP, "model": "leak-model"}
    if text is not None:
        doc["text"] = text
    if tool is not None:
        doc["tool"] = tool
    return json.dumps(doc).encode()


KEY = "leak-test-key-0123456789-not-a-real-secret"
SALT = "leak-test-salt-0123456789-not-a-real-secret"


@pytest.fixture(scope="module")
def es(worker_config):
    return sync_client(worker_config[0].elasticsearch)


@pytest.fixture(scope="module")
def leak_worker(worker_config, tmp_path_factory):
    """A worker with the default PII configuration (names from the classifier's pass) plus the encrypt / hash
    operators, on topics of its own."""
    raw = copy.deepcopy(yaml.safe_load(worker_config[1].read_text()))
    workdir = tmp_path_factory.mktemp("leak-worker")
    raw["kafka"]["consumer_group"] = "guardstream-leak"
    raw["kafka"]["topics"] = {"events": "leak.events", "verdicts": "leak.verdicts", "dlq": "leak.events.dlq",
                              "rates": "leak.rates"}
    raw["worker"]["data_dir"] = str(workdir / "data")
    raw["classifiers"] = {"pii": {"per_entity": {"CREDIT_CARD": {"operator": "encrypt"},
                                                 "EMAIL": {"operator": "hash"}}}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = Config.model_validate(raw)
    ensure_topics(cfg.kafka)
    log_path = workdir / "worker.log"
    env = {"GUARDSTREAM_PII_ENCRYPTION_KEY": KEY, "GUARDSTREAM_PII_HASH_SALT": SALT}
    with running_worker(path, log_path, env=env):
        yield cfg, log_path


@pytest.fixture(scope="module")
def planted(leak_worker):
    """Four quiet minutes, a minute of PII in texts and tool arguments, one more quiet minute."""
    lines, n = [], 0
    for minute in range(4):
        for k, text in enumerate(QUIET):
            lines.append(_event(f"leak-quiet-{n}", T0 + timedelta(minutes=minute, seconds=10 * k),
                                kind="response", text=text))
            n += 1
    burst = T0 + timedelta(minutes=4)
    for k, (kind, (text, _, _)) in enumerate(sorted(PLANTED.items())):
        lines.append(_event(f"leak-text-{kind}", burst + timedelta(seconds=k % 50),
                            kind="prompt" if k % 2 else "response", text=text))
        lines.append(_event(f"leak-tool-{kind}", burst + timedelta(seconds=k % 50), kind="tool_call",
                            tool={"name": "crm_update", "arguments": {"record": {"note": text}, "n": k}}))
    lines.append(BAD_RECORD)
    lines += [_event(f"leak-after-{k}", T0 + timedelta(minutes=5, seconds=10 * k), kind="response", text=text)
              for k, text in enumerate(QUIET)]
    produce_lines(iter(lines), leak_worker[0].kafka)
    return lines


def _verdicts(es, index: str) -> dict[str, dict]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=500, query={"prefix": {"event.id": "leak-"}})["hits"]["hits"]
    return {h["_source"]["event"]["id"]: h["_source"] for h in hits}


def _all_documents(es) -> list[str]:
    """The raw _source of every document in every GuardStream index, as JSON strings."""
    es.indices.refresh(index="guardstream*")
    out = []
    for index in es.indices.get(index="guardstream*"):
        page = es.search(index=index, query={"match_all": {}}, size=500, scroll="1m")
        while page["hits"]["hits"]:
            out += [json.dumps(h["_source"], ensure_ascii=False) for h in page["hits"]["hits"]]
            page = es.scroll(scroll_id=page["_scroll_id"], scroll="1m")
    return out


def _topic_records(cfg, topic: str) -> list[str]:
    consumer = KafkaConsumer(topic, bootstrap_servers=cfg.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", consumer_timeout_ms=3000)
    records = [m.value.decode("utf-8", errors="replace") for m in consumer]
    consumer.close()
    return records


def test_planted_pii_is_detected_and_never_stored_in_clear(es, planted, leak_worker, inbox):
    cfg, log_path = leak_worker
    expected = {f"leak-{where}-{kind}" for kind in PLANTED for where in ("text", "tool")}
    docs = wait_until(lambda: (v := _verdicts(es, cfg.elasticsearch.verdicts_index)) and expected <= set(v) and v,
                      timeout_s=180, what="verdicts of every planted event")

    # Detection did happen: each planted type is on its event (text and tool arguments, with the path).
    missed = []
    for kind in PLANTED:
        text_types = set(docs[f"leak-text-{kind}"]["guardstream"]["pii_types"])
        tool_pii = docs[f"leak-tool-{kind}"]["guardstream"]["pii"]
        if kind not in text_types:
            missed.append(f"text:{kind}")
        if not any(e["type"] == kind and e["field"] == "tool.arguments.record.note" for e in tool_pii):
            missed.append(f"tool:{kind}")
        assert "pii" in docs[f"leak-text-{kind}"]["guardstream"]["violations"]
    assert missed == []

    # An alert fired for the burst (its examples quote masked texts).
    alerts = wait_until(lambda: [r for r in inbox.requests() if APP in json.dumps(r["json"])],
                        timeout_s=120, what=f"a PII alert for {APP}")
    assert any("pii" in json.dumps(r["json"]).lower() for r in alerts)

    # The malformed record is a dead letter.
    digest = hashlib.sha256(BAD_RECORD).hexdigest()
    dlq = wait_until(lambda: [r for r in _topic_records(cfg, cfg.kafka.topics.dlq) if digest in r],
                     what="the dead letter of the malformed record")
    assert dlq

    stored = {
        "elasticsearch": "\n".join(_all_documents(es)),
        "dlq topic": "\n".join(_topic_records(cfg, cfg.kafka.topics.dlq)),
        "verdicts topic": "\n".join(_topic_records(cfg, cfg.kafka.topics.verdicts)),
        "worker log": log_path.read_text(errors="replace"),
        "alert receivers": json.dumps(inbox.requests(), ensure_ascii=False),
    }
    assert "leak-text-EMAIL" in stored["elasticsearch"] and digest in stored["dlq topic"]  # we did search them
    # The encrypted card comes back with the key, and only with it; e-mails are pseudonyms.
    card_doc = json.dumps(docs["leak-text-CREDIT_CARD"])
    token = TOKEN_RE.search(card_doc)
    assert token and TokenCipher(KEY.encode()).decrypt(token[0]) == PLANTED["CREDIT_CARD"][1]
    with pytest.raises(DecryptError, match="wrong key"):
        TokenCipher(b"some-other-key-0123456789").decrypt(token[0])
    assert "<EMAIL:h:" in docs["leak-text-EMAIL"]["message"]

    leaks = [(where, kind, blob[max(0, blob.index(needle) - 80):blob.index(needle) + 40])
             for kind, (_, _, needle) in PLANTED.items() for where, blob in stored.items() if needle in blob]
    assert leaks == []
