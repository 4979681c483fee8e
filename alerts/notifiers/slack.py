"""Slack incoming webhook: a ``text`` fallback plus Block Kit ``blocks``, for firing and resolved groups.

Slack answers a good webhook POST with HTTP 200 and the body ``ok``; errors come as 4xx with a
short reason (``invalid_payload``, ``no_service``) and rate limiting as 429 with ``Retry-After``.
"""
from __future__ import annotations

from typing import Any

from alerts.model import Alert, kibana_discover_url
from alerts.notification import AlertRecord, Notification, as_notification
from alerts.notifiers.base import HttpNotifier
from schemas.config import AlertsConfig

_HEADER_MAX = 150  # Slack's limit for header text
_TEXT_MAX = 3000  # Slack's limit for a section's text
_EXAMPLE_MAX = 300  # characters per example; enough to recognise, short enough to scan
_MAX_LISTED = 10  # alerts of a group shown one by one; Slack allows 50 blocks
_EMOJI = {"critical": ":rotating_light:", "warning": ":warning:", "resolved": ":white_check_mark:"}


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters.

    This matters for masked text: ``<EMAIL>`` would otherwise be read as a link or mention.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _vs_baseline(alert: AlertRecord) -> str:
    if alert.baseline:
        return f"{alert.rate:.1%} vs {alert.baseline:.1%} ({alert.factor_over_baseline:.1f}x)"
    return f"{alert.rate:.1%} (no baseline yet)"


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

    def payload(self, notification: Notification | Alert) -> dict[str, Any]:
        """The webhook body: ``text`` for notifications and old clients, ``blocks`` for the message."""
        notification = as_notification(notification)  # a spike-rule Alert is a one-alert trigger
        return {"text": notification.summary, "blocks": self.blocks(notification)}

    def blocks(self, notification: Notification | Alert) -> list[dict[str, Any]]:
        """Block Kit blocks: header, the facts as fields, why, masked examples, a Kibana button."""
        notification = as_notification(notification)
        if notification.action == "resolve":
            blocks = self._resolved(notification)
        elif len(notification.alerts) == 1:
            blocks = self._one(notification)
        else:
            blocks = self._many(notification)
        if self.kibana_url:
            blocks.append({"type": "actions", "elements": [{
                "type": "button", "text": {"type": "plain_text", "text": "Open in Kibana"},
                "url": kibana_discover_url(self.kibana_url, notification),
            }]})
        return blocks

    @staticmethod
    def _header(text: str) -> dict[str, Any]:
        return {"type": "header", "text": {"type": "plain_text", "text": _one_line(text, _HEADER_MAX), "emoji": True}}

    def _one(self, n: Notification) -> list[dict[str, Any]]:
        e, alert = escape_mrkdwn, n.lead
        prefix = "STILL FIRING " if n.kind == "repeat" else ""
        header = f"{_EMOJI[alert.severity]} {prefix}{alert.severity.upper()}: {alert.category} spike in {alert.app}"
        fields = [
            ("App", e(alert.app)), ("Model", e(alert.model)), ("Category", e(alert.category)),
            ("Rate vs baseline", _vs_baseline(alert)),
            ("Window", f"{alert.window_start:%Y-%m-%d %H:%M}–{alert.window_end:%H:%M} UTC"),
            ("Violations / events", f"{alert.violations} / {alert.events}"),
        ]
        blocks: list[dict[str, Any]] = [
            self._header(header),
            {"type": "section",
             "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in fields]},
        ]
        blocks += self._why(alert)
        blocks += self._examples(alert)
        return blocks

    def _many(self, n: Notification) -> list[dict[str, Any]]:
        e = escape_mrkdwn
        scope = ", ".join(f"{k}={v}" for k, v in sorted(n.group_labels.items())) or "all apps"
        prefix = "STILL FIRING " if n.kind == "repeat" else ""
        header = f"{_EMOJI[n.severity]} {prefix}{n.severity.upper()}: {len(n.alerts)} violation spikes ({scope})"
        blocks: list[dict[str, Any]] = [self._header(header)]
        for alert in n.alerts[:_MAX_LISTED]:
            text = (f"*{e(alert.category)}* in *{e(alert.app)}* / {e(alert.model)} ({alert.severity}): "
                    f"{_vs_baseline(alert)}, {alert.violations} / {alert.events} events in "
                    f"{alert.window_start:%Y-%m-%d %H:%M}–{alert.window_end:%H:%M} UTC")
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _one_line(text, _TEXT_MAX)}})
            blocks += self._examples(alert, limit=1)
        if len(n.alerts) > _MAX_LISTED:
            blocks.append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"…and {len(n.alerts) - _MAX_LISTED} more"}]})
        return blocks

    def _resolved(self, n: Notification) -> list[dict[str, Any]]:
        e = escape_mrkdwn
        alert = n.lead
        what = (f"{alert.category} spike in {alert.app}" if len(n.alerts) == 1
                else f"{len(n.alerts)} violation spikes")
        blocks: list[dict[str, Any]] = [self._header(f"{_EMOJI['resolved']} RESOLVED: {what}")]
        for alert in n.alerts[:_MAX_LISTED]:
            ended = f"{alert.ended_at:%H:%M}" if alert.ended_at else "?"
            fields = [("App", e(alert.app)), ("Model", e(alert.model)), ("Category", e(alert.category)),
                      ("Peak rate", f"{alert.peak_rate:.1%}"),
                      ("Firing", f"{alert.started_at:%Y-%m-%d %H:%M}–{ended} UTC"),
                      ("Anomalous windows", str(alert.windows))]
            blocks.append({"type": "section",
                           "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in fields]})
        return blocks

    @staticmethod
    def _why(alert: AlertRecord) -> list[dict[str, Any]]:
        if not alert.detectors and not alert.reasons:
            return []
        lines = [f"*Detectors:* {escape_mrkdwn(', '.join(alert.detectors) or '-')}"]
        lines += [escape_mrkdwn(_one_line(reason, 300)) for reason in alert.reasons[:4]]
        return [{"type": "context", "elements": [{"type": "mrkdwn", "text": "\n".join(lines)[:_TEXT_MAX]}]}]

    @staticmethod
    def _examples(alert: AlertRecord, limit: int = 3) -> list[dict[str, Any]]:
        if not alert.examples:
            return []
        return [{"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"_Example {i} (masked):_ {escape_mrkdwn(_one_line(text, _EXAMPLE_MAX))}"}
            for i, text in enumerate(alert.examples[:limit], start=1)
        ]}]

    def accepted(self, status: int, body: str) -> bool:
        """Slack's success answer is 200 with the body ``ok``."""
        return status == 200 and body.strip() == "ok"
