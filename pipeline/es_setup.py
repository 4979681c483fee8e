"""``guardstream setup`` for Elasticsearch: index templates, lifecycle policies, aliases. Idempotent.

Layout: every kind of document (verdicts, dead letters, rates, alerts) is written to **daily indices
named after the document's own timestamp** (``guardstream-verdicts-2026.01.05``) and read through an
alias with the configured name (``guardstream-verdicts``). Because an event always lands in the same
daily index, a replay overwrites its document by ``_id`` instead of duplicating it.

Retention: where the cluster has ILM, one policy per kind (hot → warm → delete) is attached through the
template, and the delete phase counts from the day in the index name. Where it has none (noida-db, the
embedded stack), ``pipeline.retention`` deletes expired daily indices. Data streams are deliberately not
used: they route by write time and refuse overwrites, which would break replay idempotency.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from schemas.config import ElasticsearchConfig

#: kind → (template file in schemas/elasticsearch, config attribute of the alias, retention attribute)
KINDS: dict[str, tuple[str, str, str]] = {
    "verdicts": ("verdicts", "verdicts_index", "verdicts_days"),
    "dead-letters": ("dead-letters", "dead_letters_index", "dead_letters_days"),
    "rates": ("rates", "rates_index", "rates_days"),
    "alerts": ("alerts", "alerts_index", "alerts_days"),
}


@dataclass
class Capabilities:
    """What the cluster can do, detected at run time."""

    version: str
    ilm: bool
    data_streams: bool

    def describe(self) -> str:
        ilm = "ILM available: retention by lifecycle policies" if self.ilm else (
            "ILM not available: retention by `guardstream retention` (the worker runs it hourly)")
        return f"Elasticsearch {self.version}; {ilm}"


@dataclass
class SetupReport:
    capabilities: Capabilities
    changes: list[str] = field(default_factory=list)


def detect_capabilities(client: Elasticsearch) -> Capabilities:
    """Ask the cluster for its version and whether ILM and data streams answer."""
    version = client.info()["version"]["number"]
    return Capabilities(version=version, ilm=_answers(client, "/_ilm/status"),
                        data_streams=_answers(client, "/_data_stream"))


def _answers(client: Elasticsearch, path: str) -> bool:
    try:
        client.perform_request("GET", path, headers={"accept": "application/json"})
        return True
    except ApiError:
        return False


def template_body(name: str, alias: str, *, lifecycle: str | None = None) -> dict[str, Any]:
    """The packaged template ``name`` for daily indices of ``alias`` (optionally with an ILM policy)."""
    body = json.loads(resources.files("schemas").joinpath(f"elasticsearch/{name}.json").read_text())
    body["index_patterns"] = [f"{alias}-*"]
    template = body["template"]
    template["aliases"] = {alias: {}}
    # _meta is what setup compares to decide whether the cluster's template is current.
    body["_meta"]["lifecycle"] = lifecycle
    if lifecycle is not None:
        template["settings"]["index.lifecycle.name"] = lifecycle
        # Count ILM ages from the day in the index name, not from when the index was created.
        template["settings"]["index.lifecycle.parse_origination_date"] = True
    return body


def lifecycle_policy(retention_days: int, warm_after_days: int) -> dict[str, Any]:
    """hot → warm (read-only, merged) → delete after ``retention_days``."""
    phases: dict[str, Any] = {"hot": {"min_age": "0ms", "actions": {"set_priority": {"priority": 100}}}}
    if warm_after_days < retention_days:
        phases["warm"] = {"min_age": f"{warm_after_days}d", "actions": {
            "set_priority": {"priority": 50}, "readonly": {}, "forcemerge": {"max_num_segments": 1}}}
    phases["delete"] = {"min_age": f"{retention_days}d", "actions": {"delete": {}}}
    return {"phases": phases, "_meta": {"managed_by": "guardstream"}}


def setup_indices(client: Elasticsearch, cfg: ElasticsearchConfig) -> SetupReport:
    """Create or update policies and templates so that writes and the aliases work. Idempotent."""
    report = SetupReport(detect_capabilities(client))
    for kind, (template_name, alias_attr, days_attr) in KINDS.items():
        alias = getattr(cfg, alias_attr)
        policy = None
        if report.capabilities.ilm:
            policy = f"{alias}-policy"
            wanted = lifecycle_policy(getattr(cfg.retention, days_attr), cfg.retention.warm_after_days)
            current = client.options(ignore_status=404).ilm.get_lifecycle(name=policy)
            if policy not in current or current[policy]["policy"].get("phases") != wanted["phases"]:
                client.ilm.put_lifecycle(name=policy, policy=wanted)
                report.changes.append(f"lifecycle policy {policy}")
        body = template_body(template_name, alias, lifecycle=policy)
        if _template_differs(client, alias, body):
            client.indices.put_index_template(name=alias, **body)
            report.changes.append(f"template {alias} v{body['_meta']['template_version']}")
        _bring_indices_in_line(client, alias, body, report)
    return report


def _template_differs(client: Elasticsearch, name: str, body: dict[str, Any]) -> bool:
    if not client.indices.exists_index_template(name=name):
        return True
    found = client.indices.get_index_template(name=name)["index_templates"]
    current = found[0]["index_template"] if found else {}
    return (current.get("_meta"), current.get("index_patterns")) != (body["_meta"], body["index_patterns"])


def _bring_indices_in_line(client: Elasticsearch, alias: str, body: dict[str, Any],
                           report: SetupReport) -> None:
    """Existing daily indices get new fields (mappings only grow) and the alias."""
    existing = client.options(ignore_status=404).indices.get(index=f"{alias}-*")
    if not existing or "error" in existing:
        # Create today's index so the alias exists (and can be searched) before the first document.
        today = f"{alias}-{datetime.now(timezone.utc):%Y.%m.%d}"
        client.indices.create(index=today)
        report.changes.append(f"index {today}")
        return
    for index, info in existing.items():
        version = info.get("mappings", {}).get("_meta", {}).get("template_version")
        if version != body["_meta"]["template_version"]:
            # Additive upgrade: new fields become queryable in old indices; old documents stay as they are.
            client.indices.put_mapping(index=index, **body["template"]["mappings"])
            report.changes.append(f"mapping of {index} -> v{body['_meta']['template_version']}")
        if alias not in info.get("aliases", {}):
            client.indices.put_alias(index=index, name=alias)
            report.changes.append(f"alias {alias} -> {index}")
