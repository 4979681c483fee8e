"""A real worker with its web server on: traffic in, then /metrics, /healthz and /readyz over HTTP.

The worker here has its own topics, consumer group and indices, so every counter it exposes can be
compared exactly with what this module produced and with what Elasticsearch holds. It logs JSON at
debug level while classifying PII-bearing events; its whole output is checked for the planted values.
"""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from pipeline.elastic import sync_client
from pipeline.kafka_io import produce_lines
from schemas.config import Config
from tests.integration.conftest import REPO, free_port, running_worker, wait_until

pytestmark = pytest.mark.integration

EMAILS = [f"metrics.person{i}@example.org" for i in range(4)]
CARD = "4111 1111 1111 1111"
PLANTED = [*EMAILS, CARD]
T0 = datetime(2026, 4, 1, 12, 0, tzinfo=timezone.utc)


def _event(n: int, text: str) -> bytes:
    return json.dumps({"event_id": f"m-{n}", "@timestamp": T0.isoformat(), "kind": "response",
                       "app": "metrics-app", "model": "m-model", "text": text}).encode()


@pytest.fixture(scope="module")
def metrics_worker(stack, tmp_path_factory):
    """``guardstream setup`` then ``guardstream worker`` for this module's own topics and indices."""
    _, state = stack
    workdir = tmp_path_factory.mktemp("metrics-worker")
    port = free_port()
    raw = {
        "kafka": {"bootstrap_servers": [state.bootstrap], "consumer_group": "guardstream-metrics-it",
                  "topics": {"events": "metrics.events", "verdicts": "metrics.verdicts",
                             "dlq": "metrics.events.dlq", "partitions": 2}},
        "elasticsearch": {"hosts": [state.elasticsearch_url], "verdicts_index": "gsm-verdicts",
                          "dead_letters_index": "gsm-dead-letters", "alerts_index": "gsm-alerts",
                          "rates_index": "gsm-rates"},
        "worker": {"data_dir": str(workdir / "data"), "web_port": port, "web_host": "127.0.0.1",
                   "max_batch": 16, "batch_within_s": 0.2},
        "logging": {"format": "json", "level": "debug"},
    }
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = Config.model_validate(raw)
    # The same command the Helm chart's pre-install hook runs.
    setup = subprocess.run([sys.executable, "-m", "pipeline.cli", "setup", "-c", str(path)], cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr
    with running_worker(path, workdir / "worker.log") as (_, log_path):
        yield cfg, f"http://127.0.0.1:{port}", log_path


@pytest.fixture(scope="module")
def produced(metrics_worker):
    """20 valid events (clean, toxic, PII) and 3 bad records, one per dead-letter reason."""
    cfg = metrics_worker[0]
    clean = ["The meeting moved to Thursday at ten.", "Here is the summary you asked for.",
             "Your order has shipped and arrives Monday.", "The report is attached below."]
    toxic = ["You are a worthless idiot and everyone hates you, shut up.",
             "Shut up, you stupid pathetic moron."]
    pii = [f"Sure, write to {email} and I will answer." for email in EMAILS] + [f"My card is {CARD}."]
    texts = (clean * 3) + toxic + pii + ["Thanks!"] * (20 - 12 - len(toxic) - len(pii))
    lines = [_event(n, text) for n, text in enumerate(texts)]
    lines += [
        b'{"event_id": "m-bad-json", "text": "' + EMAILS[0].encode() + b'"',
        json.dumps({"event_id": "m-bad-kind", "@timestamp": T0.isoformat(), "kind": "banana",
                    "app": "metrics-app", "model": "m-model", "text": CARD}).encode(),
        b"y" * (cfg.worker.max_event_bytes + 1),
    ]
    produce_lines(iter(lines), cfg.kafka)
    return {"valid": len(texts), "bad": 3, "total": len(lines)}


def _scrape(base: str) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics as {(name, sorted labels): value}, via prometheus_client's own parser."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=")
        text = resp.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _get(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _status(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_metrics_match_what_was_produced_and_what_elasticsearch_holds(metrics_worker, produced):
    cfg, base, _ = metrics_worker
    es = sync_client(cfg.elasticsearch)
    topics = cfg.kafka.topics

    def all_indexed():
        for alias in ("gsm-verdicts", "gsm-dead-letters"):
            es.indices.refresh(index=alias)
        return (es.count(index="gsm-verdicts")["count"] == produced["valid"]
                and es.count(index="gsm-dead-letters")["count"] == produced["bad"])

    wait_until(all_indexed, timeout_s=90, what="every verdict and dead letter indexed")
    # Offsets are committed a few seconds after processing; lag reaches 0 then.
    def caught_up():
        samples = _scrape(base)
        lags = [samples.get(("guardstream_consumer_lag", (("partition", str(p)), ("topic", topics.events))))
                for p in range(2)]
        return samples if lags == [0, 0] else None

    samples = wait_until(caught_up, timeout_s=30, what="consumer lag 0 on both event partitions")

    assert _get(samples, "guardstream_records_in_total", topic=topics.events) == produced["total"]
    assert _get(samples, "guardstream_verdicts_total") == produced["valid"]
    assert _get(samples, "guardstream_records_out_total", topic=topics.verdicts) == produced["valid"]
    assert _get(samples, "guardstream_records_out_total", topic=topics.dlq) == produced["bad"]
    assert _get(samples, "guardstream_records_in_total", topic=topics.dlq) == produced["bad"]
    for reason in ("malformed_json", "schema_violation", "oversize"):
        assert _get(samples, "guardstream_dead_letters_total", reason=reason) == 1, reason
    # Every event went through exactly one classify batch.
    assert _get(samples, "guardstream_batch_size_sum", agent="classify") == produced["total"]
    assert _get(samples, "guardstream_classifier_latency_seconds_count") >= 1
    assert _get(samples, "guardstream_index_bulk_latency_seconds_count", index="gsm-verdicts") >= 1
    assert _get(samples, "guardstream_index_bulk_failures_total", index="gsm-verdicts", kind="rejected") == 0

    # Per-category violation counters equal what Elasticsearch holds, and are not all zero.
    for category in ("toxicity", "bias", "pii"):
        held = es.count(index="gsm-verdicts", query={"term": {"guardstream.violations": category}})["count"]
        assert _get(samples, "guardstream_violations_total", category=category) == held, category
    assert _get(samples, "guardstream_violations_total", category="pii") >= len(PLANTED)
    assert _get(samples, "guardstream_violations_total", category="toxicity") >= 1


def test_health_and_readiness_endpoints(metrics_worker, produced):
    _, base, _ = metrics_worker
    code, body = _status(f"{base}/healthz")
    assert code == 200 and body == {"alive": True}
    code, body = wait_until(lambda: (r := _status(f"{base}/readyz"))[0] == 200 and r, what="/readyz 200")
    assert body["ready"] is True and body["partitions"] >= 1
    assert body["checks"] == {"consumer_assigned": True, "model_loaded": True, "elasticsearch": True}
    samples = _scrape(base)
    assert _get(samples, "guardstream_ready", check="elasticsearch") == 1


def test_worker_logs_are_json_lines_without_planted_pii(metrics_worker, produced):
    """Runs after the traffic was processed: the worker classified and dead-lettered PII-bearing records."""
    _, _, log_path = metrics_worker
    text = log_path.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["logger"] == "pipeline.agents.classify" and "classified batch" in r["message"] for r in records)
    assert any("dead-lettered" in r["message"] for r in records)
    assert any(r["level"] == "debug" for r in records)  # the most talkative level was really on
    for planted in PLANTED:
        assert planted not in text
