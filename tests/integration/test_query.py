"""`guardstream query` returns exactly what the pipeline indexed, for each filter."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from pipeline.cli import main
from pipeline.elastic import sync_client
from pipeline.kafka_io import produce_lines
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

T0 = datetime(2026, 4, 7, 8, 0, tzinfo=timezone.utc)
TEXTS = ["Here is the quarterly report you asked for.", "You are a useless idiot, shut up.",
         "Send the invoice to billing.team@example.com please.", "The quarterly numbers look fine to me.",
         "What a stupid, pathetic answer, you moron.", "Meeting moved to Thursday at noon."]


@pytest.fixture(scope="module")
def indexed(worker, worker_config):
    """Twelve events over two hours, two models, prompts and responses; returns their indexed docs."""
    cfg = worker_config[0]
    events = []
    for n in range(12):
        events.append({"event_id": f"q-{n:02d}", "@timestamp": (T0 + timedelta(minutes=10 * n)).isoformat(),
                       "kind": "prompt" if n % 2 else "response", "app": "query-app",
                       "model": "m-a" if n < 6 else "m-b", "text": TEXTS[n % len(TEXTS)]})
    produce_lines(iter(json.dumps(e).encode() for e in events), cfg.kafka)
    es = sync_client(cfg.elasticsearch)
    index = cfg.elasticsearch.verdicts_index

    def all_there():
        es.indices.refresh(index=index)
        hits = es.search(index=index, size=50, query={"term": {"service.name": "query-app"}})["hits"]["hits"]
        return {h["_id"]: h["_source"] for h in hits} if len(hits) == 12 else None

    return events, wait_until(all_there, what="12 query-app verdicts")


def _ids(capsys, config, *args) -> list[str]:
    assert main(["query", "-c", str(config), "--app", "query-app", "--json", "--limit", "100", *args]) == 0
    return sorted(json.loads(line)["event"]["id"] for line in capsys.readouterr().out.splitlines())


def test_each_filter_returns_exactly_the_matching_documents(indexed, worker_config, capsys):
    events, docs = indexed
    config = worker_config[1]
    assert _ids(capsys, config) == sorted(docs)
    assert _ids(capsys, config, "--model", "m-b") == [e["event_id"] for e in events if e["model"] == "m-b"]
    assert _ids(capsys, config, "--kind", "prompt") == [e["event_id"] for e in events if e["kind"] == "prompt"]
    since, until = (T0 + timedelta(minutes=30)).isoformat(), (T0 + timedelta(minutes=70)).isoformat()
    assert _ids(capsys, config, "--since", since, "--until", until) == ["q-03", "q-04", "q-05", "q-06"]
    assert _ids(capsys, config, "-q", "quarterly") == sorted(
        e["event_id"] for e in events if "quarterly" in e["text"])
    for category in ("toxicity", "pii"):
        expected = sorted(i for i, d in docs.items() if category in d["guardstream"]["violations"])
        assert expected, f"the fixture should produce some {category} violations"
        assert _ids(capsys, config, "--category", category) == expected
    both = sorted(i for i, d in docs.items() if {"toxicity", "pii"} & set(d["guardstream"]["violations"]))
    assert _ids(capsys, config, "--category", "toxicity", "--category", "pii") == both


def test_count_histogram_and_table(indexed, worker_config, capsys):
    config = str(worker_config[1])
    assert main(["query", "-c", config, "--app", "query-app", "--count"]) == 0
    assert capsys.readouterr().out.strip() == "12"
    assert main(["query", "-c", config, "--app", "query-app", "--histogram", "1h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [int(line.split()[-1]) for line in lines] == [6, 6]
    assert main(["query", "-c", config, "--app", "query-app", "--model", "m-a", "--limit", "3"]) == 0
    table = capsys.readouterr().out
    assert "q-05" in table and "(3 shown)" in table and "billing.team@example.com" not in table


def test_bad_time_is_a_clear_error(worker_config, capsys):
    assert main(["query", "-c", str(worker_config[1]), "--since", "yesterday"]) == 2
    assert "15m, 2h, 7d" in capsys.readouterr().err
