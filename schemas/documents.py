"""What GuardStream writes to Elasticsearch: verdicts, rates and alerts as Elastic Common Schema documents.

The wire models (``schemas.event``) stay flat and producer-friendly; the indexed documents use the
names Kibana users already know: ``@timestamp``, ``event.*``, ``service.name`` for the application,
``user.id``, ``organization.id`` for the tenant, the OpenTelemetry ``gen_ai.*`` names where one
exists (``gen_ai.request.model``, ``gen_ai.conversation.id``, ``gen_ai.tool.name``), ``message`` for
the (masked) text, and ``guardstream.*`` for what is ours. Every field here is mapped in the templates
under ``schemas/elasticsearch/``; a test fails when the two drift apart.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from schemas.event import DeadLetter, Verdict

if TYPE_CHECKING:  # alerts imports schemas, not the other way round at run time
    from alerts.judge import Judgement
    from alerts.lifecycle import Member
    from alerts.model import Alert
    from alerts.routing import GroupRef
    from alerts.windows import WindowStats

#: Bumped when a document shape changes incompatibly; stored in every document.
DOCUMENT_VERSION = 1


def _series(app: str, model: str) -> dict[str, Any]:
    return {"service": {"name": app}, "gen_ai": {"request": {"model": model}}}


def verdict_document(verdict: Verdict) -> dict[str, Any]:
    """The indexed form of a verdict (text and tool arguments are already masked in ``verdict``)."""
    gen_ai: dict[str, Any] = {"request": {"model": verdict.model}}
    if verdict.conversation_id is not None:
        gen_ai["conversation"] = {"id": verdict.conversation_id}
    if verdict.tool is not None:
        gen_ai["tool"] = {"name": verdict.tool.name, "call": {"arguments": verdict.tool.arguments}}
    doc: dict[str, Any] = {
        "@timestamp": verdict.timestamp.isoformat(),
        "event": {"id": verdict.event_id, "kind": "event", "dataset": "guardstream.verdict",
                  "ingested": verdict.processed_at.isoformat()},
        "service": {"name": verdict.app},
        "gen_ai": gen_ai,
        "labels": verdict.labels,
        "guardstream": {
            "version": DOCUMENT_VERSION,
            "kind": verdict.kind,
            "scores": verdict.scores,
            "violations": verdict.violations,
            "violated": bool(verdict.violations),
            "pii": [e.model_dump() for e in verdict.pii],
            "pii_types": sorted({e.type for e in verdict.pii}),
            "classifier": verdict.classifier.model_dump(),
            "latency_ms": verdict.latency_ms,
            "text_truncated": verdict.text_truncated,
        },
    }
    if verdict.text is not None:
        doc["message"] = verdict.text
    if verdict.user_id is not None:
        doc["user"] = {"id": verdict.user_id}
    if verdict.tenant is not None:
        doc["organization"] = {"id": verdict.tenant}
    return doc


def rate_document(stats: "WindowStats", *, baseline: float | None = None,
                  judgement: "Judgement | None" = None) -> dict[str, Any]:
    """One closed window of one (app, model, category) series, for charting rates in Kibana.

    With the detectors' ``judgement`` it also says whether the window was anomalous, and why.
    """
    if judgement is not None and baseline is None:
        baseline = judgement.baseline
    rate: dict[str, Any] = {
        "category": stats.category,
        "window_end": stats.window_end.isoformat(),
        "window_s": int((stats.window_end - stats.window_start).total_seconds()),
        "events": stats.events,
        "violations": stats.violations,
        "rate": stats.rate,
    }
    if baseline is not None:
        rate["baseline"] = baseline
    if judgement is not None:
        rate.update(anomalous=judgement.anomalous, score=float(judgement.score),
                    detectors=list(judgement.detectors), reasons=list(judgement.reasons))
    return {"@timestamp": stats.window_start.isoformat(),
            "event": {"kind": "metric", "dataset": "guardstream.rate"},
            **_series(stats.app, stats.model),
            "guardstream": {"version": DOCUMENT_VERSION, "category": stats.category, "rate": rate}}


def alert_document(alert: "Alert", deliveries: list[dict[str, Any]],
                   at: datetime | None = None) -> dict[str, Any]:
    """An alert as fired (or resolved), with how each notifier's delivery ended."""
    body = alert.model_dump(mode="json")
    for key in ("app", "model", "category"):
        body.pop(key)
    return {"@timestamp": (at or datetime.now(timezone.utc)).isoformat(),
            "event": {"kind": "alert", "dataset": "guardstream.alert"},
            **_series(alert.app, alert.model),
            "guardstream": {"version": DOCUMENT_VERSION, "category": alert.category,
                            "alert": {**body, "deliveries": deliveries}}}


def alert_record_document(member: "Member", group: "GroupRef") -> dict[str, Any]:
    """One alert episode as its group saw it: facts, status (firing | silenced | resolved), deliveries.

    ``@timestamp`` is when the episode started, so every rewrite of it (firing, then resolved) lands
    on the same document of the same daily index.
    """
    alert = member.alert
    body = alert.model_dump(mode="json", exclude_none=True)
    for key in ("app", "model", "category"):
        body.pop(key)
    body.update(status=member.status, group_key=group.key, route=group.route,
                receivers=list(group.receivers), group_labels=dict(group.labels),
                silenced_by=list(member.silenced_by), deliveries=list(member.deliveries))
    return {"@timestamp": alert.started_at.isoformat(),
            "event": {"kind": "alert", "dataset": "guardstream.alert"},
            **_series(alert.app, alert.model),
            "guardstream": {"version": DOCUMENT_VERSION, "category": alert.category, "alert": body}}


def alert_record_id(member: "Member", group: "GroupRef") -> str:
    """Document id: one per alert episode and group (an alert routed twice shows in both)."""
    return f"{member.alert.fingerprint}-{group.key[:12]}-{int(member.alert.started_at.timestamp())}"


def dead_letter_document(letter: DeadLetter) -> dict[str, Any]:
    """A dead letter: why a record was refused and where it sits in Kafka (payload preview masked)."""
    event: dict[str, Any] = {"kind": "event", "dataset": "guardstream.dead_letter"}
    if letter.event_id is not None:
        event["id"] = letter.event_id
    return {"@timestamp": letter.received_at.isoformat(),
            "event": event,
            "error": {"type": letter.reason, "message": letter.detail},
            "guardstream": {"version": DOCUMENT_VERSION,
                            "source": letter.source.model_dump(),
                            "payload": {"bytes": letter.payload_bytes, "sha256": letter.payload_sha256,
                                        "preview": letter.payload_preview}}}
