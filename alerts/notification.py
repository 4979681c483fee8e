"""What notifiers send: ``Notification`` (a trigger or resolve for one group) carrying ``AlertRecord``s.

An ``AlertRecord`` is one series' episode as receivers and the alerts index show it: what spiked, by how
much, since when, why (detectors, reasons) and up to three PII-masked examples. Summaries name apps,
models and categories only, never example text.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict

from alerts.model import Alert
from alerts.routing import alert_labels

Severity = Literal["critical", "warning"]
#: Order of severities (an episode's severity only rises; the most severe alert leads a group).
RANK = {"warning": 1, "critical": 2}


class AlertRecord(BaseModel):
    """One series' episode as notifications and the index show it (examples already PII-masked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: str
    app: str
    model: str
    category: str
    severity: Severity
    status: Literal["firing", "resolved"] = "firing"
    started_at: datetime
    ended_at: datetime | None = None
    #: The latest anomalous window of the episode.
    window_start: datetime
    window_end: datetime
    rate: float
    baseline: float | None = None
    factor_over_baseline: float | None = None
    score: float = 0.0
    violations: int
    events: int
    peak_rate: float
    #: Anomalous windows so far in this episode.
    windows: int = 1
    detectors: list[str] = []
    reasons: list[str] = []
    examples: list[str] = []
    summary: str

    @property
    def labels(self) -> dict[str, str]:
        """What routes and silences match on."""
        return alert_labels(self.app, self.model, self.category, self.severity)

    @classmethod
    def from_alert(cls, alert: Alert) -> "AlertRecord":
        """The record of a spike-rule ``Alert`` (a single firing window)."""
        return cls(fingerprint=alert.fingerprint, app=alert.app, model=alert.model, category=alert.category,
                   severity=alert.severity, started_at=alert.window_start, window_start=alert.window_start,
                   window_end=alert.window_end, rate=alert.rate, baseline=alert.baseline,
                   factor_over_baseline=alert.factor_over_baseline, score=alert.factor_over_baseline,
                   violations=alert.violations, events=alert.events, peak_rate=alert.rate,
                   examples=list(alert.examples), summary=alert.summary)


def _window(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC"


def firing_summary(app: str, model: str, category: str, rate: float, violations: int, events: int,
                   baseline: float | None, start: datetime, end: datetime, detectors: Sequence[str]) -> str:
    """One line saying what spiked and by how much (names only: never an example text)."""
    counts = f"{rate:.1%} of events ({violations}/{events})"
    if baseline:
        return (f"{category} spike in {app} / {model}: {counts} vs baseline {baseline:.1%} "
                f"({rate / baseline:.1f}x) in window {_window(start, end)}")
    by = f" ({', '.join(detectors)})" if detectors else ""
    return f"{category} violations in {app} / {model}: {counts} in window {_window(start, end)}{by}"


def resolved_summary(alert: AlertRecord, ended_at: datetime) -> str:
    return (f"Resolved: {alert.category} spike in {alert.app} / {alert.model} is back to normal "
            f"(from {alert.started_at:%Y-%m-%d %H:%M} to {ended_at:%H:%M} UTC, peak {alert.peak_rate:.1%})")


class Notification(BaseModel):
    """One message to a group's receivers: a trigger (first, update, repeat) or the resolve."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group_key: str
    route: str
    receivers: list[str]
    group_labels: dict[str, str]
    kind: Literal["firing", "update", "repeat", "resolved"]
    #: Event time the group had reached (the newest window end).
    at: datetime
    #: Most severe first. Firing alerts for triggers, the episode's alerts for a resolve.
    alerts: list[AlertRecord]

    @classmethod
    def from_alert(cls, alert: Alert) -> "Notification":
        """A single-alert trigger, keyed by the alert's own fingerprint."""
        return cls(group_key=alert.fingerprint, route="", receivers=[],
                   group_labels={"app": alert.app, "model": alert.model, "category": alert.category},
                   kind="firing", at=alert.window_end, alerts=[AlertRecord.from_alert(alert)])

    @property
    def action(self) -> Literal["trigger", "resolve"]:
        return "resolve" if self.kind == "resolved" else "trigger"

    @property
    def status(self) -> Literal["firing", "resolved"]:
        return "resolved" if self.kind == "resolved" else "firing"

    @property
    def lead(self) -> AlertRecord:
        """The alert that speaks for the group (most severe, highest score)."""
        return self.alerts[0]

    @property
    def fingerprint(self) -> str:
        """The group's key: what receivers deduplicate on (PagerDuty's ``dedup_key``)."""
        return self.group_key

    @property
    def severity(self) -> Severity:
        return max((a.severity for a in self.alerts), key=RANK.__getitem__)

    @property
    def summary(self) -> str:
        lead, more = self.lead, len(self.alerts) - 1
        if self.kind == "resolved":
            return lead.summary if not more else f"Resolved: {len(self.alerts)} alerts for {self._scope()}"
        text = lead.summary if not more else f"{len(self.alerts)} alerts for {self._scope()}: {lead.summary} (+{more} more)"
        return f"Still firing: {text}" if self.kind == "repeat" else text

    def _scope(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.group_labels.items())) or "all apps"

    # The lead alert's facts, so code written for one ``Alert`` (Kibana links) works unchanged.
    app = property(lambda self: self.lead.app)
    model = property(lambda self: self.lead.model)
    category = property(lambda self: self.lead.category)
    window_start = property(lambda self: self.lead.window_start)
    window_end = property(lambda self: self.lead.window_end)


def as_notification(item: Alert | Notification) -> Notification:
    """Notifiers accept both; a spike-rule ``Alert`` becomes a single-alert trigger."""
    return item if isinstance(item, Notification) else Notification.from_alert(item)
