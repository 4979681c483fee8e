"""Metrics, consumer lag and readiness with small fakes; the real worker is scraped in
tests/integration/test_metrics.py."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from elasticsearch import ConnectionError as EsConnectionError
from prometheus_client.parser import text_string_to_metric_families

from faust.types import TP
from pipeline.elastic import BulkWriter
from pipeline.health import Readiness, readiness
from pipeline.metrics import KafkaRecordSensor, Metrics
from schemas.config import Config


def samples(metrics: Metrics) -> dict[tuple[str, tuple], float]:
    """Parse our own exposition with prometheus_client's parser, as Prometheus would read it."""
    text = metrics.render().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(metrics: Metrics, name: str, **labels) -> float | None:
    return samples(metrics).get((name, tuple(sorted(labels.items()))))


def test_each_app_has_its_own_registry():
    a, b = Metrics(), Metrics()
    a.dead_lettered("oversize")
    assert value(a, "guardstream_dead_letters_total", reason="oversize") == 1
    assert value(b, "guardstream_dead_letters_total", reason="oversize") is None


def test_agent_calls_count_verdicts_violations_batches_and_alerts():
    m = Metrics()
    verdicts = [SimpleNamespace(violations=["toxicity", "pii"]), SimpleNamespace(violations=[]),
                SimpleNamespace(violations=["pii"])]
    m.classified(verdicts)
    m.batch("classify", 3)
    m.batch("classify", 5)
    m.alert_delivery("slack", SimpleNamespace(delivered=True, outcome="delivered"))
    m.alert_delivery("pagerduty", SimpleNamespace(delivered=False, outcome="retryable"))
    assert value(m, "guardstream_verdicts_total") == 3
    assert value(m, "guardstream_violations_total", category="pii") == 2
    assert value(m, "guardstream_violations_total", category="toxicity") == 1
    assert value(m, "guardstream_violations_total", category="bias") is None
    assert value(m, "guardstream_batch_size_count", agent="classify") == 2
    assert value(m, "guardstream_batch_size_sum", agent="classify") == 8
    assert value(m, "guardstream_alerts_sent_total", notifier="slack") == 1
    assert value(m, "guardstream_alerts_failed_total", notifier="pagerduty", outcome="retryable") == 1

    async def work():
        return "done"

    assert asyncio.run(m.time_classifier(work())) == "done"
    assert value(m, "guardstream_classifier_latency_seconds_count") == 1


def test_the_sensor_counts_records_in_and_out_per_topic():
    m = Metrics()
    sensor = KafkaRecordSensor(m)
    for offset in range(3):
        sensor.on_message_in(TP("genai.events", 0), offset, None)
    state = sensor.on_send_initiated(None, "genai.verdicts", None, 0, 10)
    sensor.on_send_completed(None, state, SimpleNamespace(topic="genai.verdicts"))
    sensor.on_send_error(None, RuntimeError("broker gone"), sensor.on_send_initiated(None, "genai.events.dlq",
                                                                                     None, 0, 10))
    assert value(m, "guardstream_records_in_total", topic="genai.events") == 3
    assert value(m, "guardstream_records_out_total", topic="genai.verdicts") == 1
    assert value(m, "guardstream_records_send_errors_total", topic="genai.events.dlq") == 1


class FakeConsumer:
    def __init__(self, assigned, high, committed):
        self._assigned, self._high, self._committed_offset = assigned, high, committed

    def assignment(self):
        return set(self._assigned)

    def highwater(self, tp):
        return self._high.get(tp)


def test_lag_is_high_water_minus_committed_for_assigned_partitions_only():
    m = Metrics()
    p0, p1, p2 = TP("genai.events", 0), TP("genai.events", 1), TP("genai.verdicts", 0)
    app = SimpleNamespace(consumer=FakeConsumer([p0, p1, p2], {p0: 120, p1: 7, p2: None}, {p0: 100, p1: 7}))
    m.update_lag(app)
    assert value(m, "guardstream_consumer_lag", topic="genai.events", partition="0") == 20
    assert value(m, "guardstream_consumer_lag", topic="genai.events", partition="1") == 0
    # Never fetched or never committed: no sample rather than a guess.
    assert value(m, "guardstream_consumer_lag", topic="genai.verdicts", partition="0") is None
    # After a rebalance took p0 away, its series disappears.
    app.consumer = FakeConsumer([p1], {p1: 9}, {p1: 7})
    m.update_lag(app)
    assert value(m, "guardstream_consumer_lag", topic="genai.events", partition="0") is None
    assert value(m, "guardstream_consumer_lag", topic="genai.events", partition="1") == 2


def test_lag_before_the_consumer_started_is_empty_not_an_error():
    class NotStarted:
        def assignment(self):
            raise RuntimeError("Consumer thread not yet started")

    m = Metrics()
    m.update_lag(SimpleNamespace(consumer=NotStarted()))
    assert not [k for k in samples(m) if k[0] == "guardstream_consumer_lag"]


class FakeBulkClient:
    """Answers bulk requests from a script: an exception, or per-document statuses."""

    def __init__(self, script):
        self.script = list(script)

    async def bulk(self, operations):
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return {"items": [{"index": {"status": s, **({"error": {"type": "x"}} if s >= 300 else {})}}
                          for s in step]}


def test_bulk_writer_reports_latency_retries_rejections_and_failed_requests():
    m = Metrics()
    client = FakeBulkClient([EsConnectionError("down"), [201, 429, 400], [201]])
    writer = BulkWriter(client, first_backoff_s=0.001, metrics=m)
    docs = [(f"d{i}", {"@timestamp": "2026-01-01T00:00:00+00:00", "n": i}) for i in range(3)]
    failures = asyncio.run(writer.write("gs-verdicts", docs))
    assert [f.doc_id for f in failures] == ["d2"]
    assert value(m, "guardstream_index_bulk_failures_total", index="gs-verdicts", kind="request") == 1
    assert value(m, "guardstream_index_bulk_failures_total", index="gs-verdicts", kind="retried") == 1
    assert value(m, "guardstream_index_bulk_failures_total", index="gs-verdicts", kind="rejected") == 1
    assert value(m, "guardstream_index_bulk_latency_seconds_count", index="gs-verdicts") == 2


class FakeEs:
    def __init__(self, answer):
        self.answer = answer

    async def ping(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        if self.answer == "hang":
            await asyncio.sleep(60)
        return self.answer


def _runtime(es_answer, *, loaded=True):
    cfg = Config.model_validate({"metrics": {"probe_timeout_s": 0.05}})
    return SimpleNamespace(config=cfg, model_loaded=loaded, metrics=Metrics(),
                           writer=SimpleNamespace(client=FakeEs(es_answer)))


def _app(*, rebalancing=False, count=1, assigned=(TP("genai.events", 0),)):
    return SimpleNamespace(rebalancing=rebalancing, rebalancing_count=count,
                           consumer=FakeConsumer(list(assigned), {}, {}))


def test_ready_when_partitions_model_and_elasticsearch_are_all_there():
    rt = _runtime(True)
    state = asyncio.run(readiness(_app(), rt))
    assert state.ok and state.as_dict() == {"ready": True, "partitions": 1, "checks": {
        "consumer_assigned": True, "model_loaded": True, "elasticsearch": True}}
    assert value(rt.metrics, "guardstream_ready", check="elasticsearch") == 1


def test_not_ready_names_the_failing_check():
    cases = {
        "elasticsearch": (_app(), _runtime(False)),
        "elasticsearch ": (_app(), _runtime(EsConnectionError("refused"))),
        "elasticsearch  ": (_app(), _runtime("hang")),  # a ping that never answers times out
        "model_loaded": (_app(), _runtime(True, loaded=False)),
        "consumer_assigned": (_app(rebalancing=True), _runtime(True)),
        "consumer_assigned ": (_app(count=0), _runtime(True)),
        "consumer_assigned  ": (_app(assigned=()), _runtime(True)),
    }
    for failing, (app, rt) in cases.items():
        state: Readiness = asyncio.run(readiness(app, rt))
        assert not state.ok, failing
        assert [k for k, ok in state.as_dict()["checks"].items() if not ok] == [failing.strip()], failing
        assert value(rt.metrics, "guardstream_ready", check=failing.strip()) == 0
