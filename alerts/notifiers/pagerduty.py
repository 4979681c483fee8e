"""PagerDuty Events API v2: one ``trigger`` event per alert, deduplicated by the fingerprint.

PagerDuty answers an accepted event with HTTP 202 and ``{"status": "success", ...}``; a bad event
with 400, rate limiting with 429 and its own trouble with 5xx.
"""
from __future__ import annotations

import json
from typing import Any

from alerts.model import Alert, kibana_discover_url
from alerts.notifiers.base import HttpNotifier
from schemas.config import AlertsConfig

DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue"
_SUMMARY_MAX = 1024  # PagerDuty truncates or rejects longer summaries
#: Our severities onto PagerDuty's (critical | error | warning | info).
_SEVERITY = {"critical": "critical", "warning": "warning"}


class PagerDutyNotifier(HttpNotifier):
    """Trigger PagerDuty incidents through the Events API v2."""

    name = "pagerduty"

    def __init__(self, routing_key: str, *, url: str = DEFAULT_URL, kibana_url: str | None = None,
                 **options: Any) -> None:
        super().__init__(url, **options)
        self._routing_key = routing_key  # a secret: never logged, only sent
        self.kibana_url = kibana_url

    @classmethod
    def from_config(cls, config: AlertsConfig) -> "PagerDutyNotifier | None":
        """A PagerDuty notifier when ``alerts.pagerduty`` is configured, else None."""
        if config.pagerduty is None:
            return None
        return cls(config.pagerduty.routing_key.get_secret_value(), url=config.pagerduty.url,
                   kibana_url=config.kibana_url, timeout_s=config.timeout_s,
                   max_attempts=config.max_attempts)

    def payload(self, alert: Alert) -> dict[str, Any]:
        """The Events API v2 trigger event; ``dedup_key`` is the series fingerprint."""
        summary = alert.summary if len(alert.summary) <= _SUMMARY_MAX else alert.summary[: _SUMMARY_MAX - 1] + "…"
        event: dict[str, Any] = {
            "routing_key": self._routing_key,
            "event_action": "trigger",
            "dedup_key": alert.fingerprint,
            "client": "GuardStream",
            "payload": {
                "summary": summary,
                "source": alert.app,
                "severity": _SEVERITY[alert.severity],
                "timestamp": alert.window_end.isoformat(),
                "component": alert.model,
                "group": alert.app,
                "class": alert.category,
                "custom_details": {
                    "rate": alert.rate,
                    "baseline": alert.baseline,
                    "factor_over_baseline": alert.factor_over_baseline,
                    "violations": alert.violations,
                    "events": alert.events,
                    "window_start": alert.window_start.isoformat(),
                    "window_end": alert.window_end.isoformat(),
                    "examples": alert.examples,
                    "fingerprint": alert.fingerprint,
                },
            },
        }
        if self.kibana_url:
            link = kibana_discover_url(self.kibana_url, alert)
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
