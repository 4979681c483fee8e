"""PagerDuty Events API v2: ``trigger`` and ``resolve`` events with the group's key as ``dedup_key``.

One incident per group episode: every trigger of a firing group (first, update, repeat) carries the
same ``dedup_key``, so PagerDuty folds them into the open incident, and the resolve closes it.
PagerDuty answers an accepted event with HTTP 202 and ``{"status": "success", ...}``; a bad event
with 400, rate limiting with 429 and its own trouble with 5xx.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from alerts.model import Alert, kibana_discover_url
from alerts.notification import AlertRecord, Notification, as_notification
from alerts.notifiers.base import HttpNotifier
from schemas.config import AlertsConfig

DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue"
_SUMMARY_MAX = 1024  # PagerDuty truncates or rejects longer summaries
#: PagerDuty's severities.
SEVERITIES = ("critical", "error", "warning", "info")
#: Our severities onto PagerDuty's, unless a receiver's ``severity_map`` says otherwise.
_SEVERITY = {"critical": "critical", "warning": "warning"}
#: Alerts listed one by one in ``custom_details.alerts`` (a group can be large).
_MAX_LISTED = 20


def _details(alert: AlertRecord) -> dict[str, Any]:
    return {
        "fingerprint": alert.fingerprint, "app": alert.app, "model": alert.model, "category": alert.category,
        "severity": alert.severity, "rate": alert.rate, "baseline": alert.baseline,
        "factor_over_baseline": alert.factor_over_baseline, "violations": alert.violations,
        "events": alert.events, "started_at": alert.started_at.isoformat(),
        "window_start": alert.window_start.isoformat(), "window_end": alert.window_end.isoformat(),
        "detectors": alert.detectors,
    }


class PagerDutyNotifier(HttpNotifier):
    """Trigger and resolve PagerDuty incidents through the Events API v2."""

    name = "pagerduty"

    def __init__(self, routing_key: str, *, url: str = DEFAULT_URL, kibana_url: str | None = None,
                 severity_map: Mapping[str, str] | None = None, **options: Any) -> None:
        super().__init__(url, **options)
        self._routing_key = routing_key  # a secret: never logged, only sent
        self.kibana_url = kibana_url
        self.severity_map = {**_SEVERITY, **(severity_map or {})}
        bad = sorted(v for v in self.severity_map.values() if v not in SEVERITIES)
        if bad:
            raise ValueError(f"pagerduty: severity {bad[0]!r} is not one of {', '.join(SEVERITIES)}")

    @classmethod
    def from_config(cls, config: AlertsConfig) -> "PagerDutyNotifier | None":
        """A PagerDuty notifier when ``alerts.pagerduty`` is configured, else None."""
        if config.pagerduty is None:
            return None
        return cls(config.pagerduty.routing_key.get_secret_value(), url=config.pagerduty.url,
                   kibana_url=config.kibana_url, timeout_s=config.timeout_s,
                   max_attempts=config.max_attempts)

    def payload(self, notification: Notification | Alert) -> dict[str, Any]:
        """A trigger event (``payload`` with summary, severity, custom_details) or a resolve event."""
        notification = as_notification(notification)  # a spike-rule Alert is a one-alert trigger
        if notification.action == "resolve":
            # A resolve needs only the key of the incident it closes.
            return {"routing_key": self._routing_key, "event_action": "resolve",
                    "dedup_key": notification.group_key, "client": "GuardStream"}
        lead = notification.lead
        summary = notification.summary
        if len(summary) > _SUMMARY_MAX:
            summary = summary[: _SUMMARY_MAX - 1] + "…"
        details: dict[str, Any] = {
            "rate": lead.rate, "baseline": lead.baseline, "factor_over_baseline": lead.factor_over_baseline,
            "violations": lead.violations, "events": lead.events,
            "window_start": lead.window_start.isoformat(), "window_end": lead.window_end.isoformat(),
            "examples": lead.examples, "fingerprint": lead.fingerprint,
            "started_at": lead.started_at.isoformat(), "score": lead.score, "detectors": lead.detectors,
            "reasons": lead.reasons, "severity": lead.severity, "notification": notification.kind,
            "group_key": notification.group_key, "group_labels": notification.group_labels,
        }
        if notification.route:
            details["route"] = notification.route
        if len(notification.alerts) > 1:
            details["alerts"] = [_details(a) for a in notification.alerts[:_MAX_LISTED]]
        event: dict[str, Any] = {
            "routing_key": self._routing_key,
            "event_action": "trigger",
            "dedup_key": notification.group_key,
            "client": "GuardStream",
            "payload": {
                "summary": summary,
                "source": lead.app,
                "severity": self.severity_map[notification.severity],
                "timestamp": lead.window_end.isoformat(),
                "component": lead.model,
                "group": lead.app,
                "class": lead.category,
                "custom_details": details,
            },
        }
        if self.kibana_url:
            link = kibana_discover_url(self.kibana_url, notification)
            details["kibana_url"] = link
            event["client_url"] = link
            event["links"] = [{"href": link, "text": "Violations in Kibana"}]
        return event

    def accepted(self, status: int, body: str) -> bool:
        """PagerDuty's success answer is 202 with JSON ``status: success``."""
        if status != 202:
            return False
        try:
            return json.loads(body).get("status") == "success"
        except (ValueError, AttributeError):
            return False
