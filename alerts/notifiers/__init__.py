"""Notifiers by name, and building the configured ones."""
from __future__ import annotations

from alerts.notifiers.base import DeliveryResult, HttpNotifier, Notifier, Outcome
from alerts.notifiers.log import LogNotifier
from alerts.notifiers.pagerduty import PagerDutyNotifier
from alerts.notifiers.slack import SlackNotifier
from schemas.config import AlertsConfig

#: Every notifier by its name. Add a receiver here (and a section in AlertsConfig).
NOTIFIERS: dict[str, type[Notifier]] = {
    cls.name: cls for cls in (SlackNotifier, PagerDutyNotifier, LogNotifier)
}


def get_notifier_class(name: str) -> type[Notifier]:
    """The notifier class registered as ``name``; an unknown name lists the valid ones."""
    try:
        return NOTIFIERS[name]
    except KeyError:
        raise KeyError(f"unknown notifier {name!r}; valid: {', '.join(sorted(NOTIFIERS))}") from None


def build_notifiers(alerts_config: AlertsConfig) -> list[Notifier]:
    """The notifiers the config asks for (Slack, PagerDuty); the log notifier when there are none."""
    built = [
        notifier for name, cls in NOTIFIERS.items() if name != "log"
        if (notifier := cls.from_config(alerts_config)) is not None
    ]
    return built or [LogNotifier()]


__all__ = [
    "NOTIFIERS", "DeliveryResult", "HttpNotifier", "LogNotifier", "Notifier", "Outcome",
    "PagerDutyNotifier", "SlackNotifier", "build_notifiers", "get_notifier_class",
]
