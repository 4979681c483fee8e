"""Log-only notifier: writes the alert to the log, for setups without a receiver (and dry runs)."""
from __future__ import annotations

import logging

from alerts.model import Alert
from alerts.notifiers.base import DeliveryResult, Notifier
from schemas.config import AlertsConfig

logger = logging.getLogger("guardstream.alerts")


class LogNotifier(Notifier):
    """Log each alert at WARNING with its fingerprint and summary; always delivered."""

    name = "log"

    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logger

    @classmethod
    def from_config(cls, config: AlertsConfig) -> "LogNotifier":
        """Always available: it needs no configuration."""
        return cls()

    def send(self, alert: Alert) -> DeliveryResult:
        """Log the alert (masked examples are not logged: the summary is enough for an operator)."""
        self.log.warning("ALERT %s [%s] %s", alert.fingerprint, alert.severity, alert.summary)
        return DeliveryResult("delivered", None, "logged", notifier=self.name)
