"""What every notifier shares: the delivery result, and JSON POST with bounded retries.

Standard library only (urllib), so a notifier works from sync code; the async worker calls
``send`` in a thread. ``send`` never raises for delivery problems: it reports them.

``send`` takes a lifecycle ``Notification`` (a trigger or a resolve for one group of alerts) or, as
before, a single spike-rule ``Alert``, which is sent as a one-alert trigger. Triggers and resolves go
through the same retries.
"""
from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Literal

from alerts.model import Alert
from alerts.notification import Notification, as_notification
from schemas.config import AlertsConfig

Outcome = Literal["delivered", "retryable", "permanent"]

USER_AGENT = "guardstream-alerts/0.1"
_MAX_BODY = 64 * 1024  # of a receiver's answer; we only look at its start


@dataclass(frozen=True)
class DeliveryResult:
    """How one ``send`` ended, after all its attempts."""

    outcome: Outcome
    status_code: int | None  # None when no HTTP answer came (connection error) or not HTTP
    detail: str
    attempts: int = 1
    notifier: str = ""
    #: Seconds the receiver asked to wait, when that was longer than we block for: retry later.
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        """True when the receiver accepted the alert."""
        return self.outcome == "delivered"


class Notifier(ABC):
    """Sends alerts somewhere. Subclasses set ``name`` and register in ``alerts.notifiers``."""

    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_config(cls, config: AlertsConfig) -> "Notifier | None":
        """Build the notifier from the alerts config; None when its section is not configured."""

    @abstractmethod
    def send(self, alert: Alert | Notification) -> DeliveryResult:
        """Deliver one alert or notification; say whether it was delivered, is worth retrying, or never will be."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A webhook that redirects is misconfigured; following it would turn the POST into a GET
    # (or carry the payload somewhere unexpected). Report the 3xx instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class HttpNotifier(Notifier):
    """POST a JSON payload; retry 408/429/5xx and connection errors with exponential backoff.

    ``Retry-After`` wins over the computed backoff. If the receiver asks for a longer pause than
    ``max_backoff_s``, ``send`` stops and returns ``retryable`` with ``retry_after`` set rather than
    block the calling thread. Other 4xx (and 3xx) are ``permanent`` and never retried.
    """

    RETRY_STATUSES: ClassVar[frozenset[int]] = frozenset({408, 429})

    def __init__(self, url: str, *, timeout_s: float = 10.0, max_attempts: int = 4,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        # urllib also opens file:// and ftp:// URLs; a receiver is only ever http(s).
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"{self.name}: receiver URL must be http(s)")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.url = url
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._sleep = sleep
        self._opener = urllib.request.build_opener(_NoRedirect())

    @abstractmethod
    def payload(self, notification: Notification) -> dict[str, Any]:
        """The JSON body for one notification (trigger or resolve)."""

    def headers(self, body: bytes) -> dict[str, str]:
        """Extra request headers for one body (e.g. a signature); none by default."""
        return {}

    @abstractmethod
    def accepted(self, status: int, body: str) -> bool:
        """Whether a 2xx answer is the receiver's documented success."""

    def send(self, alert: Alert | Notification) -> DeliveryResult:
        """POST the alert, retrying what is worth retrying, at most ``max_attempts`` times."""
        data = json.dumps(self.payload(as_notification(alert))).encode("utf-8")
        extra = self.headers(data)  # the same bytes on every attempt, so one signature serves all
        attempt = 0
        while True:
            attempt += 1
            result, retry_after = self._post_once(data, extra)
            result = replace(result, attempts=attempt, notifier=self.name)
            if result.outcome != "retryable" or attempt >= self.max_attempts:
                return replace(result, retry_after=retry_after)  # None unless retryable
            if retry_after is not None:
                if retry_after > self.max_backoff_s:
                    return replace(result, retry_after=retry_after)
                delay = retry_after
            else:
                delay = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
            self._sleep(delay)

    def _post_once(self, data: bytes, extra: dict[str, str] | None = None) -> tuple[DeliveryResult, float | None]:
        request = urllib.request.Request(
            self.url, data=data, method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **(extra or {})},
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                status = response.status
                body = response.read(_MAX_BODY).decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            body = err.read(_MAX_BODY).decode("utf-8", "replace") if err.fp else ""
            detail = f"HTTP {err.code}: {body[:200].strip()}"
            retry_after = parse_retry_after(err.headers.get("Retry-After") if err.headers else None)
            if err.code in self.RETRY_STATUSES or err.code >= 500:
                return DeliveryResult("retryable", err.code, detail), retry_after
            return DeliveryResult("permanent", err.code, detail), None
        except (OSError, http.client.HTTPException) as err:
            # URLError (refused, DNS), timeouts and dropped connections are all OSError here.
            # The URL is left out of the detail: a Slack webhook URL is itself the secret.
            reason = getattr(err, "reason", err)
            return DeliveryResult("retryable", None, f"connection error: {reason}"), None
        if self.accepted(status, body):
            return DeliveryResult("delivered", status, f"HTTP {status}"), None
        # A 2xx we do not recognise may still have been delivered; retrying could page twice.
        return DeliveryResult("permanent", status, f"unexpected answer HTTP {status}: {body[:200]}"), None
