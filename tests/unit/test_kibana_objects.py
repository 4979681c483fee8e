"""The shipped Kibana objects parse, reference only each other, and use only fields the mappings have."""
from __future__ import annotations

import json
import re

import pytest

from pipeline.es_setup import template_body
from pipeline.kibana import DATA_VIEWS, build_saved_objects, packaged_ndjson, to_ndjson

#: data view id → template that maps its indices
TEMPLATE_OF_VIEW = {"guardstream-verdicts": "verdicts", "guardstream-dead-letters": "dead-letters",
                    "guardstream-rates": "rates", "guardstream-alerts": "alerts"}
KQL_FIELD = re.compile(r"([A-Za-z_@][\w.@]*)\s*:")


@pytest.fixture(scope="module")
def objects():
    return [json.loads(line) for line in packaged_ndjson().splitlines()]


def _mapped_leaf(view: str, field: str) -> bool:
    node = template_body(TEMPLATE_OF_VIEW[view], "x")["template"]["mappings"]
    for part in field.split("."):
        node = node.get("properties", {}).get(part)
        if node is None:
            return False
    return "type" in node and node["type"] != "object"


def test_the_shipped_file_is_what_the_code_builds(objects):
    assert packaged_ndjson() == to_ndjson(build_saved_objects()), (
        "schemas/kibana/guardstream.ndjson is stale: run `guardstream kibana export` and commit it")


def test_ids_are_unique_and_every_reference_resolves(objects):
    by_key = {(o["type"], o["id"]) for o in objects}
    assert len(by_key) == len(objects)
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in by_key, f"{obj['id']} -> missing {ref}"
        if obj["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["indexRefName"] in {r["name"] for r in obj["references"]}
        if obj["type"] == "dashboard":
            panels = json.loads(obj["attributes"]["panelsJSON"])
            names = {r["name"] for r in obj["references"]}
            assert {f"{p['panelIndex']}:{p['panelRefName']}" for p in panels} == names


def test_every_field_used_is_mapped(objects):
    views = {o["id"]: o for o in objects if o["type"] == "index-pattern"}
    assert set(views) == set(DATA_VIEWS)
    used: list[tuple[str, str]] = [(v, views[v]["attributes"]["timeFieldName"]) for v in views]
    for obj in objects:
        view = next((r["id"] for r in obj["references"] if r["type"] == "index-pattern"), None)
        if obj["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            used += [(view, c) for c in obj["attributes"]["columns"]]
            used += [(view, s[0]) for s in obj["attributes"]["sort"]]
            used += [(view, f) for f in KQL_FIELD.findall(source["query"]["query"])]
        elif obj["type"] == "lens":
            state = obj["attributes"]["state"]
            for layer in state["datasourceStates"]["formBased"]["layers"].values():
                used += [(view, c["sourceField"]) for c in layer["columns"].values()
                         if c["sourceField"] != "___records___"]
            used += [(view, f) for f in KQL_FIELD.findall(state["query"]["query"])]
    missing = sorted({(v, f) for v, f in used if not _mapped_leaf(v, f)})
    assert missing == [] and len(used) > 30


def test_a_renamed_mapping_field_would_be_caught(monkeypatch):
    """The check above is real: drop one field from a template and it fails."""
    import pipeline.es_setup as es_setup

    packaged = es_setup.template_body

    def without_message(name, alias, *, lifecycle=None):
        body = packaged(name, alias, lifecycle=lifecycle)
        body["template"]["mappings"]["properties"].pop("message", None)
        return body

    monkeypatch.setattr(es_setup, "template_body", without_message)
    monkeypatch.setitem(globals(), "template_body", without_message)
    assert not _mapped_leaf("guardstream-verdicts", "message")
    assert _mapped_leaf("guardstream-verdicts", "service.name")


def test_data_view_titles_follow_the_configured_aliases():
    from schemas.config import ElasticsearchConfig

    objects = build_saved_objects(ElasticsearchConfig(verdicts_index="acme-verdicts"))
    titles = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    assert titles["guardstream-verdicts"] == "acme-verdicts"
    assert titles["guardstream-alerts"] == "guardstream-alerts"
