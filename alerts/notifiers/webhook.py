"""Generic webhook: the notification as JSON, optionally signed with HMAC-SHA256.

With a secret configured, every request carries ``X-GuardStream-Signature: sha256=<hex>``, the
HMAC-SHA256 of the exact body bytes under the secret (as GitHub signs its webhooks). A receiver
recomputes it over the raw body and compares in constant time (``verify_signature``). Any 2xx is
success; retries are the base notifier's (408/429/5xx, ``Retry-After``).
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any

from alerts.model import Alert, kibana_discover_url
from alerts.notification import Notification, as_notification
from alerts.notifiers.base import HttpNotifier
from schemas.config import AlertsConfig

SIGNATURE_HEADER = "X-GuardStream-Signature"
#: Bumped when the body shape changes incompatibly.
BODY_VERSION = 1


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex digest>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (constant-time comparison)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header.strip())


class WebhookNotifier(HttpNotifier):
    """POST notifications as JSON to any HTTP endpoint."""

    name = "webhook"

    def __init__(self, url: str, *, secret: str | None = None, kibana_url: str | None = None,
                 **options: Any) -> None:
        super().__init__(url, **options)
        self._secret = secret  # never logged, only used to sign
        self.kibana_url = kibana_url

    @classmethod
    def from_config(cls, config: AlertsConfig) -> None:
        """Webhooks exist only as named receivers (``alerts.receivers``), see ``alerts.routing``."""
        return None

    def payload(self, notification: Notification | Alert) -> dict[str, Any]:
        """The notification with every alert (examples PII-masked) and a Kibana link when configured."""
        notification = as_notification(notification)
        body: dict[str, Any] = {
            "version": BODY_VERSION,
            "source": "guardstream",
            "status": notification.status,
            "action": notification.action,
            "kind": notification.kind,
            "group_key": notification.group_key,
            "group_labels": notification.group_labels,
            "route": notification.route,
            "severity": notification.severity,
            "summary": notification.summary,
            "at": notification.at.isoformat(),
            "alerts": [a.model_dump(mode="json") for a in notification.alerts],
        }
        if self.kibana_url:
            body["kibana_url"] = kibana_discover_url(self.kibana_url, notification)
        return body

    def headers(self, body: bytes) -> dict[str, str]:
        """The signature header when a secret is configured."""
        return {SIGNATURE_HEADER: sign(self._secret, body)} if self._secret else {}

    def accepted(self, status: int, body: str) -> bool:
        """Any 2xx."""
        return 200 <= status < 300
