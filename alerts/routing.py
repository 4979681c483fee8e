"""Routing: which receivers get an alert, and which group (one notification) it belongs to.

Rules come from ``alerts.routing`` (see ``schemas.alert_routing``). Routes are tried in order; the
first that matches wins unless it says ``continue: true``, in which case later routes are tried too.
An alert no route matched goes to the default receivers. Each matched route puts the alert in one
group per value of the route's ``group_by`` labels, as Alertmanager's ``group_by`` does: with
``group_by: [app]`` several categories and models of one app share a notification.

Receivers are built here too: ``RECEIVERS`` maps a receiver ``type`` to the function that builds its
notifier, and the legacy ``alerts.slack`` / ``alerts.pagerduty`` sections become receivers named
``slack`` / ``pagerduty``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

from schemas.alert_routing import (LABELS, LogReceiver, PagerDutyReceiver, SlackReceiver,
                                   WebhookReceiver)
from schemas.config import AlertsConfig

if TYPE_CHECKING:
    from alerts.notifiers.base import Notifier

# The notifiers import the lifecycle, which imports this module: they are imported where a receiver
# is built, not at the top.

#: Name of the route that catches what no configured route matched.
DEFAULT_ROUTE = "default"


@dataclass(frozen=True)
class Route:
    """One compiled routing rule."""

    name: str
    receivers: tuple[str, ...]
    group_by: tuple[str, ...]
    match: tuple[tuple[str, str], ...] = ()
    match_re: tuple[tuple[str, re.Pattern[str]], ...] = ()
    continue_: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every exact and regex matcher holds (a regex must match the whole value)."""
        return (all(labels.get(k) == v for k, v in self.match)
                and all(rx.fullmatch(labels.get(k, "")) is not None for k, rx in self.match_re))


@dataclass(frozen=True)
class GroupRef:
    """Where an alert goes: the route that took it and its group within that route."""

    key: str
    route: str
    receivers: tuple[str, ...]
    labels: dict[str, str]

    def to_dict(self) -> dict:
        return {"key": self.key, "route": self.route, "receivers": list(self.receivers),
                "labels": dict(self.labels)}

    @classmethod
    def from_dict(cls, data: dict) -> "GroupRef":
        return cls(key=data["key"], route=data["route"], receivers=tuple(data["receivers"]),
                   labels=dict(data["labels"]))


def group_key(route: str, group_labels: Mapping[str, str]) -> str:
    """A stable id for one group of one route (PagerDuty's ``dedup_key``): same in every process."""
    # The unit separator cannot occur in names, so ("a b", "c") and ("a", "b c") stay apart.
    parts = ["guardstream.group", route, *(f"{k}={group_labels[k]}" for k in sorted(group_labels))]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def default_receiver_names(config: AlertsConfig) -> tuple[str, ...]:
    """Receivers for alerts no route matched: as configured, else the legacy sections, else the log."""
    if config.routing.default_receivers is not None:
        return tuple(config.routing.default_receivers)
    legacy = tuple(name for name, section in (("slack", config.slack), ("pagerduty", config.pagerduty))
                   if section is not None)
    return legacy or ("log",)


class Router:
    """Match alert labels against the configured routes."""

    def __init__(self, config: AlertsConfig) -> None:
        default_group = tuple(config.grouping.group_by)
        self.routes = [
            Route(name=route.name or f"route-{i}", receivers=tuple(route.receivers),
                  group_by=tuple(route.group_by if route.group_by is not None else default_group),
                  match=tuple(route.match.items()),
                  match_re=tuple((k, re.compile(v)) for k, v in route.match_re.items()),
                  continue_=route.continue_)
            for i, route in enumerate(config.routing.routes, start=1)
        ]
        self.default = Route(name=DEFAULT_ROUTE, receivers=default_receiver_names(config),
                             group_by=default_group)

    def match(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes an alert with ``labels`` takes, in order (the default route when none matched)."""
        taken: list[Route] = []
        for route in self.routes:
            if route.matches(labels):
                taken.append(route)
                if not route.continue_:
                    break
        return taken or [self.default]

    def groups(self, labels: Mapping[str, str]) -> list[GroupRef]:
        """The groups an alert with ``labels`` joins, one per matched route."""
        refs = []
        for route in self.match(labels):
            values = {k: labels.get(k, "") for k in route.group_by}
            refs.append(GroupRef(key=group_key(route.name, values), route=route.name,
                                 receivers=route.receivers, labels=values))
        return refs


def _slack(cfg: SlackReceiver, alerts: AlertsConfig) -> "Notifier":
    from alerts.notifiers.slack import SlackNotifier

    return SlackNotifier(cfg.webhook_url.get_secret_value(), kibana_url=alerts.kibana_url,
                         timeout_s=alerts.timeout_s, max_attempts=alerts.max_attempts)


def _pagerduty(cfg: PagerDutyReceiver, alerts: AlertsConfig) -> "Notifier":
    from alerts.notifiers.pagerduty import PagerDutyNotifier

    return PagerDutyNotifier(cfg.routing_key.get_secret_value(), url=cfg.url, kibana_url=alerts.kibana_url,
                             severity_map=dict(cfg.severity_map), timeout_s=alerts.timeout_s,
                             max_attempts=alerts.max_attempts)


def _webhook(cfg: WebhookReceiver, alerts: AlertsConfig) -> "Notifier":
    from alerts.notifiers.webhook import WebhookNotifier

    return WebhookNotifier(cfg.url.get_secret_value(),
                           secret=cfg.secret.get_secret_value() if cfg.secret is not None else None,
                           kibana_url=alerts.kibana_url, timeout_s=alerts.timeout_s,
                           max_attempts=alerts.max_attempts)


def _log(cfg: LogReceiver, alerts: AlertsConfig) -> "Notifier":
    from alerts.notifiers.log import LogNotifier

    return LogNotifier()


#: Receiver ``type`` -> builder of its notifier. Add a receiver kind here (and in schemas.alert_routing).
RECEIVERS: dict[str, Callable[..., "Notifier"]] = {
    "slack": _slack, "pagerduty": _pagerduty, "webhook": _webhook, "log": _log,
}


def build_receivers(config: AlertsConfig) -> dict[str, "Notifier"]:
    """Every receiver by name: ``alerts.receivers``, the legacy sections, and ``log``."""
    built: dict[str, Notifier] = {"log": _log(LogReceiver(type="log"), config)}
    if config.slack is not None:
        built["slack"] = _slack(SlackReceiver(type="slack", webhook_url=config.slack.webhook_url), config)
    if config.pagerduty is not None:
        built["pagerduty"] = _pagerduty(PagerDutyReceiver(
            type="pagerduty", routing_key=config.pagerduty.routing_key, url=config.pagerduty.url), config)
    for name, receiver in config.receivers.items():
        built[name] = RECEIVERS[receiver.type](receiver, config)
    return built


def alert_labels(app: str, model: str, category: str, severity: str) -> dict[str, str]:
    """The labels routes, groups and silences match on."""
    return dict(zip(LABELS, (app, model, category, severity)))
