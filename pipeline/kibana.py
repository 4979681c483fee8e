"""Kibana saved objects: data views, saved searches, Lens charts and the overview dashboard.

The objects are built here (one place to change a field name) and shipped as
``schemas/kibana/guardstream.ndjson``; ``guardstream kibana export`` rewrites that file and
``guardstream kibana import --url`` (or ``setup --kibana-url``) posts it to Kibana's saved objects API.
Data view titles follow the configured index aliases.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from schemas.config import ElasticsearchConfig

NDJSON_PATH = "kibana/guardstream.ndjson"

#: data view id → (config attribute of the alias, display name)
DATA_VIEWS = {
    "guardstream-verdicts": ("verdicts_index", "GuardStream verdicts"),
    "guardstream-dead-letters": ("dead_letters_index", "GuardStream dead letters"),
    "guardstream-rates": ("rates_index", "GuardStream violation rates"),
    "guardstream-alerts": ("alerts_index", "GuardStream alerts"),
}

#: saved search id → (title, data view, KQL query, columns)
SEARCHES = {
    "guardstream-pii-leaks": ("PII leaks", "guardstream-verdicts", 'guardstream.violations : "pii"',
                              ["service.name", "gen_ai.request.model", "guardstream.kind",
                               "guardstream.pii_types", "message"]),
    "guardstream-toxic-responses": ("Toxic responses", "guardstream-verdicts",
                                    'guardstream.kind : "response" and guardstream.violations : "toxicity"',
                                    ["service.name", "gen_ai.request.model", "guardstream.scores.toxicity",
                                     "message"]),
    "guardstream-tool-call-findings": ("Tool calls with findings", "guardstream-verdicts",
                                       'guardstream.kind : "tool_call" and guardstream.violated : true',
                                       ["service.name", "gen_ai.tool.name", "guardstream.violations",
                                        "guardstream.pii_types"]),
    "guardstream-dead-letters": ("Dead letters", "guardstream-dead-letters", "",
                                 ["error.type", "error.message", "guardstream.source.topic",
                                  "guardstream.source.partition", "guardstream.source.offset"]),
}


def _column(op: str, field: str | None, label: str, **params: Any) -> dict[str, Any]:
    column: dict[str, Any] = {"label": label, "operationType": op, "isBucketed": op in ("date_histogram", "terms")}
    if op == "date_histogram":
        column.update(dataType="date", sourceField=field, scale="interval", params={"interval": "auto"})
    elif op == "terms":
        column.update(dataType="string", sourceField=field, scale="ordinal",
                      params={"size": params.get("size", 5), "orderBy": {"type": "column", "columnId": "y"},
                              "orderDirection": "desc"})
    elif op == "count":
        column.update(dataType="number", sourceField="___records___", scale="ratio")
    else:  # a metric over a numeric field: average, max, sum
        column.update(dataType="number", sourceField=field, scale="ratio")
    return column


def _lens(obj_id: str, title: str, view: str, *, series: str, metric: dict[str, Any],
          breakdown: str | None, kql: str = "") -> dict[str, Any]:
    """An XY Lens chart: date histogram on x, ``metric`` on y, optionally split by a terms column."""
    columns = {"x": _column("date_histogram", "@timestamp", "@timestamp"), "y": metric}
    layer = {"layerId": "layer1", "layerType": "data", "seriesType": series, "xAccessor": "x", "accessors": ["y"]}
    order = ["x", "y"]
    if breakdown:
        columns["split"] = _column("terms", breakdown, breakdown)
        layer["splitAccessor"] = "split"
        order = ["split", "x", "y"]
    state = {
        "datasourceStates": {"formBased": {"layers": {"layer1": {"columnOrder": order, "columns": columns,
                                                                 "incompleteColumns": {}}}}},
        "visualization": {"preferredSeriesType": series, "legend": {"isVisible": True, "position": "right"},
                          "layers": [layer]},
        "query": {"query": kql, "language": "kuery"},
        "filters": [],
    }
    return {"type": "lens", "id": obj_id, "attributes": {"title": title, "visualizationType": "lnsXY",
                                                          "state": state},
            "references": [{"type": "index-pattern", "id": view, "name": "indexpattern-datasource-layer-layer1"}]}


LENSES = [
    _lens("guardstream-violations-over-time", "Violations over time by category", "guardstream-verdicts",
          series="bar_stacked", metric=_column("count", None, "Events"), breakdown="guardstream.violations",
          kql="guardstream.violated : true"),
    _lens("guardstream-rates-by-app", "Violation rate per app (toxicity)", "guardstream-rates",
          series="line", metric=_column("average", "guardstream.rate.rate", "Violation rate"),
          breakdown="service.name", kql='guardstream.category : "toxicity"'),
    _lens("guardstream-rates-by-model", "Violation rate per model (all categories)", "guardstream-rates",
          series="line", metric=_column("average", "guardstream.rate.rate", "Violation rate"),
          breakdown="gen_ai.request.model"),
    _lens("guardstream-alerts-timeline", "Alerts timeline by severity", "guardstream-alerts",
          series="bar_stacked", metric=_column("count", None, "Alerts"), breakdown="guardstream.alert.severity"),
    _lens("guardstream-top-apps", "Top apps by violating events", "guardstream-verdicts",
          series="bar_horizontal_stacked", metric=_column("count", None, "Violating events"),
          breakdown="service.name", kql="guardstream.violated : true"),
]


def _data_view(obj_id: str, cfg: ElasticsearchConfig) -> dict[str, Any]:
    attr, name = DATA_VIEWS[obj_id]
    return {"type": "index-pattern", "id": obj_id, "references": [],
            "attributes": {"title": getattr(cfg, attr), "name": name, "timeFieldName": "@timestamp"}}


def _search(obj_id: str) -> dict[str, Any]:
    title, view, kql, columns = SEARCHES[obj_id]
    source = {"query": {"query": kql, "language": "kuery"}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return {"type": "search", "id": obj_id,
            "attributes": {"title": title, "columns": columns, "sort": [["@timestamp", "desc"]],
                           "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)}},
            "references": [{"type": "index-pattern", "id": view,
                            "name": "kibanaSavedObjectMeta.searchSourceJSON.index"}]}


def _dashboard() -> dict[str, Any]:
    panels, references = [], []
    layout = [(lens["id"], "lens") for lens in LENSES] + [("guardstream-pii-leaks", "search"),
                                                           ("guardstream-dead-letters", "search")]
    for n, (obj_id, obj_type) in enumerate(layout):
        panel = f"p{n}"
        panels.append({"type": obj_type, "panelIndex": panel, "panelRefName": f"panel_{panel}",
                       "gridData": {"x": 24 * (n % 2), "y": 15 * (n // 2), "w": 24, "h": 15, "i": panel},
                       "embeddableConfig": {}})
        references.append({"type": obj_type, "id": obj_id, "name": f"{panel}:panel_{panel}"})
    search_source = {"query": {"query": "", "language": "kuery"}, "filter": []}
    return {"type": "dashboard", "id": "guardstream-overview", "references": references,
            "attributes": {"title": "GuardStream overview", "timeRestore": False,
                           "description": "Violations, rates, alerts and dead letters of GuardStream.",
                           "panelsJSON": json.dumps(panels),
                           "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(search_source)}}}


def build_saved_objects(cfg: ElasticsearchConfig | None = None) -> list[dict[str, Any]]:
    """Every saved object, referenced objects first (Kibana imports in order)."""
    cfg = cfg or ElasticsearchConfig()
    return ([_data_view(i, cfg) for i in DATA_VIEWS] + [_search(i) for i in SEARCHES] + LENSES
            + [_dashboard()])


def to_ndjson(objects: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in objects)


def packaged_ndjson() -> str:
    """The NDJSON file shipped in the schemas package."""
    return resources.files("schemas").joinpath(NDJSON_PATH).read_text()


def export_ndjson(path: Path | None = None, cfg: ElasticsearchConfig | None = None) -> Path:
    """Write the saved objects (for the default index names unless ``cfg`` says otherwise)."""
    path = path or Path(str(resources.files("schemas").joinpath(NDJSON_PATH)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_ndjson(build_saved_objects(cfg)))
    return path


class KibanaError(RuntimeError):
    """Kibana refused the import or could not be reached; the message says what it answered."""


def import_saved_objects(url: str, *, cfg: ElasticsearchConfig | None = None, api_key: str | None = None,
                         timeout_s: float = 30.0) -> str:
    """POST the objects to ``{url}/api/saved_objects/_import?overwrite=true``; returns a one-line summary."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"guardstream.ndjson\"\r\n"
            f"Content-Type: application/ndjson\r\n\r\n{to_ndjson(build_saved_objects(cfg))}\r\n"
            f"--{boundary}--\r\n").encode()
    headers = {"kbn-xsrf": "guardstream", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    request = urllib.request.Request(f"{url.rstrip('/')}/api/saved_objects/_import?overwrite=true",
                                     data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise KibanaError(f"Kibana answered HTTP {exc.code}: {exc.read()[:300]!r}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise KibanaError(f"cannot reach Kibana at {url}: {exc}") from None
    if not answer.get("success"):
        errors = [f"{e.get('type')}/{e.get('id')}: {e.get('error', {}).get('type')}" for e in answer.get("errors", [])]
        raise KibanaError(f"Kibana imported {answer.get('successCount', 0)} objects with errors: {errors}")
    return f"kibana: imported {answer.get('successCount', 0)} saved objects (dashboard: GuardStream overview)"
