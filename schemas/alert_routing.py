"""Configuration of the alert lifecycle: receivers, routing rules, grouping, repeats, cooldown, silences.

Part of the one config file (``alerts.*`` in ``schemas.config``); kept in its own module because it is
a language of its own. Shape, in YAML::

    alerts:
      receivers:                          # name -> receiver; "log" always exists
        oncall: {type: pagerduty, routing_key: ..., severity_map: {warning: error}}
        team:   {type: slack, webhook_url: ...}
        siem:   {type: webhook, url: https://siem.example/hook, secret: ...}
      routing:
        routes:                           # first match wins, unless a route says continue: true
          - name: support-critical
            match: {app: support-bot, severity: critical}      # exact
            match_re: {category: "toxicity|pii"}               # regex, whole value
            receivers: [oncall, team]
            group_by: [app]                                    # one notification per app
        default_receivers: [team]         # when no route matches
      grouping: {group_by: [app, model, category], group_interval: 5m}
      repeat_interval: 4h                 # 0 = never re-notify a still-firing group
      cooldown: 10m                       # after a resolve, no new episode for that series before this
      resolve_after_windows: 2

Secrets of receivers can come from the environment: ``GUARDSTREAM_RECEIVER_<NAME>_<FIELD>``, e.g.
``GUARDSTREAM_RECEIVER_SIEM_SECRET`` or ``GUARDSTREAM_RECEIVER_ONCALL_ROUTING_KEY`` (name upper-cased,
other characters than letters and digits as ``_``).
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

#: The labels an alert carries; routes, silences and grouping speak about these.
LABELS = ("app", "model", "category", "severity")
Label = Literal["app", "model", "category", "severity"]

#: PagerDuty Events API v2 severities.
PagerDutySeverity = Literal["critical", "error", "warning", "info"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_duration(value: Any) -> float:
    """Seconds from ``90``, ``"90s"``, ``"5m"``, ``"4h"``, ``"1d"`` or ``"1h30m"``; ``0`` means off."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like 5m, 4h, 1d")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("a duration is a number of seconds or a string like 5m, 4h, 1d")
    text = value.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not text or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 5m, 4h, 1d, 1h30m)")
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


#: Seconds, written as a number or as ``5m`` / ``4h`` / ``1d``.
Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _http_url(value: Any) -> Any:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(raw, str) or not raw.lower().startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


class SlackReceiver(_Strict):
    type: Literal["slack"]
    webhook_url: SecretStr

    _url = field_validator("webhook_url")(_http_url)


class PagerDutyReceiver(_Strict):
    type: Literal["pagerduty"]
    routing_key: SecretStr
    url: str = "https://events.pagerduty.com/v2/enqueue"

    _url = field_validator("url")(_http_url)
    #: Our severity -> PagerDuty's. Unlisted severities map to themselves.
    severity_map: dict[Literal["critical", "warning"], PagerDutySeverity] = {}


class WebhookReceiver(_Strict):
    type: Literal["webhook"]
    url: SecretStr = Field(description="http(s) URL; a secret because such URLs often embed a token.")
    secret: SecretStr | None = Field(
        default=None, description="Signs each body: X-GuardStream-Signature: sha256=<HMAC-SHA256 hex>.")

    _url = field_validator("url")(_http_url)


class LogReceiver(_Strict):
    type: Literal["log"]


Receiver = Annotated[Union[SlackReceiver, PagerDutyReceiver, WebhookReceiver, LogReceiver],
                     Field(discriminator="type")]


def _check_regexes(value: dict[str, str]) -> dict[str, str]:
    for label, pattern in value.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{label}: not a valid regular expression: {exc}") from None
    return value


class RouteConfig(_Strict):
    """One routing rule: all its matchers must hold; then its receivers get the alert."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = Field(default=None, description="Shown in alerts; default route-<n> (1-based).")
    match: dict[Label, str] = Field(default={}, description="Label -> exact value.")
    match_re: dict[Label, str] = Field(default={}, description="Label -> regular expression (whole value).")
    receivers: list[str] = Field(min_length=1)
    group_by: list[Label] | None = Field(default=None, description="Default: alerts.grouping.group_by.")
    continue_: bool = Field(default=False, alias="continue",
                            description="Also try the routes after this one when it matched.")

    @field_validator("match_re")
    @classmethod
    def _compiles(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_regexes(value)


class RoutingConfig(_Strict):
    routes: list[RouteConfig] = []
    default_receivers: list[str] | None = Field(
        default=None, description="For alerts no route matched. Default: alerts.slack / alerts.pagerduty "
                                  "when configured, else the log.")


class GroupingConfig(_Strict):
    group_by: list[Label] = Field(default=["app", "model", "category"],
                                  description="Alerts with the same values share one notification.")
    group_interval: Duration = Field(
        default=300.0, ge=0, description="Before notifying a firing group again about alerts that joined it.")


class SilencesConfig(_Strict):
    refresh_s: float = Field(default=5.0, gt=0, le=3600, description="How often the worker re-reads silences.")


def validate_receiver_names(alerts: Any) -> None:
    """Every receiver a route names must exist; raise ValueError naming the first one that does not."""
    known = set(alerts.receivers) | {"log"}
    if alerts.slack is not None:
        known.add("slack")
    if alerts.pagerduty is not None:
        known.add("pagerduty")
    clash = {"slack", "pagerduty"} & set(alerts.receivers) & {
        n for n, on in (("slack", alerts.slack), ("pagerduty", alerts.pagerduty)) if on is not None}
    if clash:
        raise ValueError(f"receiver {sorted(clash)[0]!r} is defined twice (alerts.{sorted(clash)[0]} "
                         "and alerts.receivers)")
    named = [(f"routing.routes.{i}.receivers", r) for i, route in enumerate(alerts.routing.routes)
             for r in route.receivers]
    named += [("routing.default_receivers", r) for r in alerts.routing.default_receivers or ()]
    for where, name in named:
        if name not in known:
            raise ValueError(f"{where}: unknown receiver {name!r}; defined: {', '.join(sorted(known))}")


_RECEIVER_SECRETS = ("webhook_url", "routing_key", "url", "secret")


def env_name(receiver: str, field: str) -> str:
    """The environment variable that overrides ``field`` of receiver ``receiver``."""
    return f"GUARDSTREAM_RECEIVER_{re.sub(r'[^A-Z0-9]', '_', receiver.upper())}_{field.upper()}"


def apply_receiver_env(raw: dict[str, Any], environ: dict[str, str]) -> None:
    """Override receiver secrets in a raw config from ``GUARDSTREAM_RECEIVER_<NAME>_<FIELD>``."""
    receivers = raw.get("alerts", {}).get("receivers") if isinstance(raw.get("alerts"), dict) else None
    if not isinstance(receivers, dict):
        return
    for name, receiver in receivers.items():
        if not isinstance(receiver, dict):
            continue
        for field in _RECEIVER_SECRETS:
            value = environ.get(env_name(str(name), field))
            if value is not None:
                receiver[field] = value
