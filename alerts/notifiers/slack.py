"""Slack incoming webhook: a ``text`` fallback plus Block Kit ``blocks``.

Slack answers a good webhook POST with HTTP 200 and the body ``ok``; errors come as 4xx with a
short reason (``invalid_payload``, ``no_service``) and rate limiting as 429 with ``Retry-After``.
"""
from __future__ import annotations

from typing import Any

from alerts.model import Alert, kibana_discover_url
from alerts.notifiers.base import HttpNotifier
from schemas.config import AlertsConfig

_HEADER_MAX = 150  # Slack's limit for header text
_EXAMPLE_MAX = 300  # characters per example; enough to recognise, short enough to scan
_EMOJI = {"critical": ":rotating_light:", "warning": ":warning:"}


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters.

    This matters for masked text: ``<EMAIL>`` would otherwise be read as a link or mention.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SlackNotifier(HttpNotifier):
    """Post alerts to a Slack incoming webhook."""

    name = "slack"

    def __init__(self, webhook_url: str, *, kibana_url: str | None = None, **options: Any) -> None:
        super().__init__(webhook_url, **options)
        self.kibana_url = kibana_url

    @classmethod
    def from_config(cls, config: AlertsConfig) -> "SlackNotifier | None":
        """A Slack notifier when ``alerts.slack`` is configured, else None."""
        if config.slack is None:
            return None
        return cls(config.slack.webhook_url.get_secret_value(), kibana_url=config.kibana_url,
                   timeout_s=config.timeout_s, max_attempts=config.max_attempts)

    def payload(self, alert: Alert) -> dict[str, Any]:
        """The webhook body: ``text`` for notifications and old clients, ``blocks`` for the message."""
        return {"text": alert.summary, "blocks": self.blocks(alert)}

    def blocks(self, alert: Alert) -> list[dict[str, Any]]:
        """Block Kit blocks: header, the facts as fields, masked examples, a Kibana button."""
        e = escape_mrkdwn
        header = f"{_EMOJI[alert.severity]} {alert.severity.upper()}: {alert.category} spike in {alert.app}"
        window = f"{alert.window_start:%Y-%m-%d %H:%M}–{alert.window_end:%H:%M} UTC"
        fields = [
            ("App", e(alert.app)),
            ("Model", e(alert.model)),
            ("Category", e(alert.category)),
            ("Rate vs baseline",
             f"{alert.rate:.1%} vs {alert.baseline:.1%} ({alert.factor_over_baseline:.1f}x)"),
            ("Window", window),
            ("Violations / events", f"{alert.violations} / {alert.events}"),
        ]
        blocks: list[dict[str, Any]] = [
            {"type": "header",
             "text": {"type": "plain_text", "text": _one_line(header, _HEADER_MAX), "emoji": True}},
            {"type": "section",
             "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in fields]},
        ]
        if alert.examples:
            blocks.append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"_Example {i} (masked):_ {e(_one_line(text, _EXAMPLE_MAX))}"}
                for i, text in enumerate(alert.examples[:3], start=1)
            ]})
        if self.kibana_url:
            blocks.append({"type": "actions", "elements": [{
                "type": "button", "text": {"type": "plain_text", "text": "Open in Kibana"},
                "url": kibana_discover_url(self.kibana_url, alert),
            }]})
        return blocks

    def accepted(self, status: int, body: str) -> bool:
        """Slack's success answer is 200 with the body ``ok``."""
        return status == 200 and body.strip() == "ok"
