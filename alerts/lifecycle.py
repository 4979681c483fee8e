"""The alert lifecycle: judged windows in, notifications out, firing → resolved, in event time.

Two levels, each with plain-data state (``to_dict`` / ``from_dict``) that the pipeline keeps in
changelog-backed Faust tables, so a restart neither forgets an incident nor pages it twice:

* **Alerts**, one per series (app, model, category), tracked by ``AlertTracker``: a window judged
  anomalous starts an episode (unless the series is cooling down after its last resolve) or continues
  it; ``resolve_after_windows`` normal windows in a row resolve it. Its fingerprint is the series'
  (``alerts.model.fingerprint``), the same in every process and release.
* **Groups**, one per route and value of the route's ``group_by`` labels (``alerts.routing``), held
  in ``GroupState``: what was notified, when, and what is still to send. One notification covers every
  alert of the group: the first trigger, an update when alerts join (at most every
  ``grouping.group_interval``), a repeat every ``repeat_interval`` while it fires (dedup: nothing else
  while firing), and one resolve when all its alerts resolved. Silenced alerts are kept out of
  notifications; a group whose alerts are all silenced sends nothing.

Times are event times (window ends), so a replay of old traffic behaves as the live run did; only
silences are wall-clock (an operator silences "for the next two hours").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Mapping

from alerts.model import fingerprint
from alerts.notification import (RANK, AlertRecord, Notification, Severity, as_notification, firing_summary,
                                 resolved_summary)
from alerts.routing import GroupRef, Router
from schemas.config import AlertsConfig

if TYPE_CHECKING:
    from alerts.judge import Judgement

__all__ = ["AlertRecord", "AlertTracker", "AlertUpdate", "GroupState", "Lifecycle", "Member", "Notification",
           "as_notification"]

STATE_VERSION = 1
#: Resolved alerts stay in their group this long (event time) so replayed updates are recognised.
KEEP_RESOLVED = timedelta(days=1)
#: Deliveries remembered per alert (shown in its indexed document).
MAX_DELIVERIES = 20
_EPS = 1e-9


@dataclass(frozen=True)
class AlertUpdate:
    """An alert's news for one of its groups: it fires (again), or it resolved."""

    group: GroupRef
    alert: AlertRecord
    #: The window judged (its start); groups skip updates they have already applied.
    window: datetime
    #: Event time: the judged window's end.
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group.to_dict(), "alert": self.alert.model_dump(mode="json"),
                "window": self.window.isoformat(), "at": self.at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AlertUpdate":
        return cls(group=GroupRef.from_dict(data["group"]), alert=AlertRecord.model_validate(data["alert"]),
                   window=datetime.fromisoformat(data["window"]), at=datetime.fromisoformat(data["at"]))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


@dataclass
class AlertTracker:
    """One series' alert state: the open episode (if any), its normal streak, cooldown, replay guard."""

    alert: AlertRecord | None = None
    normal_streak: int = 0
    #: Event time of the last resolve; a new episode waits for ``cooldown`` after it.
    resolved_at: datetime | None = None
    #: Newest window applied; older or equal ones are replays and are ignored.
    last_window: datetime | None = None
    #: The groups of the open episode (kept, so a normal window reaches the groups the alert is in).
    groups: list[GroupRef] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"version": STATE_VERSION,
                "alert": self.alert.model_dump(mode="json") if self.alert else None,
                "normal_streak": self.normal_streak, "resolved_at": _iso(self.resolved_at),
                "last_window": _iso(self.last_window), "groups": [g.to_dict() for g in self.groups]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AlertTracker":
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported alert tracker state version: {data.get('version')!r}")
        return cls(alert=AlertRecord.model_validate(data["alert"]) if data["alert"] else None,
                   normal_streak=int(data["normal_streak"]), resolved_at=_dt(data["resolved_at"]),
                   last_window=_dt(data["last_window"]), groups=[GroupRef.from_dict(g) for g in data["groups"]])


@dataclass
class Member:
    """An alert as its group knows it."""

    alert: AlertRecord
    #: The newest window applied (replay guard).
    seen: datetime
    #: Ids of the silences that muted it at the last evaluation.
    silenced_by: list[str] = field(default_factory=list)
    #: How each notification about it ended, newest last (bounded).
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """firing, silenced (firing but muted) or resolved: what the alert index shows."""
        if self.alert.status == "firing" and self.silenced_by:
            return "silenced"
        return self.alert.status


@dataclass
class GroupState:
    """One group's alerts and what was said about them."""

    ref: GroupRef
    members: dict[str, Member] = field(default_factory=dict)
    #: Firing alerts included in a notification (a new one joining means "update").
    notified: list[str] = field(default_factory=list)
    #: Alerts included in a trigger since the group last resolved; non-empty means a resolve is owed.
    paged: list[str] = field(default_factory=list)
    last_notified_at: datetime | None = None
    #: The newest event time the group saw.
    now: datetime | None = None
    #: Decided but not yet delivered (persisted first, so a crash re-sends rather than loses them).
    outbox: list[Notification] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION, "ref": self.ref.to_dict(),
            "members": {fp: {"alert": m.alert.model_dump(mode="json"), "seen": m.seen.isoformat(),
                             "silenced_by": m.silenced_by, "deliveries": m.deliveries}
                        for fp, m in self.members.items()},
            "notified": self.notified, "paged": self.paged,
            "last_notified_at": _iso(self.last_notified_at), "now": _iso(self.now),
            "outbox": [n.model_dump(mode="json") for n in self.outbox],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GroupState":
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported alert group state version: {data.get('version')!r}")
        members = {fp: Member(alert=AlertRecord.model_validate(m["alert"]), seen=datetime.fromisoformat(m["seen"]),
                              silenced_by=list(m["silenced_by"]), deliveries=list(m["deliveries"]))
                   for fp, m in data["members"].items()}
        return cls(ref=GroupRef.from_dict(data["ref"]), members=members, notified=list(data["notified"]),
                   paged=list(data["paged"]), last_notified_at=_dt(data["last_notified_at"]),
                   now=_dt(data["now"]), outbox=[Notification.model_validate(n) for n in data["outbox"]])

    @property
    def firing(self) -> list[str]:
        return [fp for fp, m in self.members.items() if m.alert.status == "firing"]


#: Given an alert's labels, the ids of the silences that mute it now (wall clock).
SilenceCheck = Callable[[Mapping[str, str]], list[str]]


def _no_silences(labels: Mapping[str, str]) -> list[str]:
    return []


class Lifecycle:
    """The rules of both levels, from ``alerts.*`` config; the state objects are passed in."""

    def __init__(self, config: AlertsConfig, router: Router | None = None) -> None:
        self.config = config
        self.router = router or Router(config)
        self.cooldown = timedelta(seconds=config.cooldown)
        self.repeat = timedelta(seconds=config.repeat_interval)
        self.group_interval = timedelta(seconds=config.grouping.group_interval)
        self.critical_factor = config.critical_factor or 2 * config.rule.factor

    # -- alert level (per series) -----------------------------------------------------------------

    def severity(self, judgement: "Judgement") -> Severity:
        """critical when the rate is ``critical_factor`` times the baseline or more, else warning."""
        if judgement.baseline and judgement.stats.rate / judgement.baseline >= self.critical_factor - _EPS:
            return "critical"
        return "warning"

    def _record(self, judgement: "Judgement", previous: AlertRecord | None) -> AlertRecord:
        s = judgement.stats
        severity = self.severity(judgement)
        if previous is not None and RANK[previous.severity] > RANK[severity]:
            severity = previous.severity  # an episode's severity only rises
        ratio = round(s.rate / judgement.baseline, 3) if judgement.baseline else None
        return AlertRecord(
            fingerprint=fingerprint(s.app, s.model, s.category), app=s.app, model=s.model, category=s.category,
            severity=severity, started_at=previous.started_at if previous else s.window_start,
            window_start=s.window_start, window_end=s.window_end, rate=s.rate, baseline=judgement.baseline,
            factor_over_baseline=ratio, score=float(judgement.score), violations=s.violations, events=s.events,
            peak_rate=max(s.rate, previous.peak_rate) if previous else s.rate,
            windows=previous.windows + 1 if previous else 1, detectors=list(judgement.detectors),
            reasons=list(judgement.reasons), examples=list(s.examples),
            summary=firing_summary(s.app, s.model, s.category, s.rate, s.violations, s.events,
                                   judgement.baseline, s.window_start, s.window_end, judgement.detectors))

    def track(self, tracker: AlertTracker, judgement: "Judgement") -> list[AlertUpdate]:
        """Apply one judged window to its series' tracker; return the news for the alert's groups."""
        s = judgement.stats
        if tracker.last_window is not None and s.window_start <= tracker.last_window:
            return []  # a replay of a window already applied
        tracker.last_window = s.window_start
        current = tracker.alert
        if current is None:
            if not judgement.anomalous:
                return []
            if tracker.resolved_at is not None and s.window_end < tracker.resolved_at + self.cooldown:
                return []  # cooling down after the last episode: no new one yet
            alert = self._record(judgement, None)
            tracker.alert, tracker.normal_streak = alert, 0
            tracker.groups = self.router.groups(alert.labels)
        elif judgement.anomalous:
            alert = self._record(judgement, current)
            tracker.alert, tracker.normal_streak = alert, 0
            if alert.severity != current.severity:
                # Escalated: routes for the new severity join; the groups it is in keep it.
                known = {g.key for g in tracker.groups}
                tracker.groups += [g for g in self.router.groups(alert.labels) if g.key not in known]
        else:
            tracker.normal_streak += 1
            alert = current
            if tracker.normal_streak >= self.config.resolve_after_windows:
                alert = current.model_copy(update={
                    "status": "resolved", "ended_at": s.window_end,
                    "summary": resolved_summary(current, s.window_end)})
                groups = tracker.groups
                tracker.alert, tracker.groups, tracker.normal_streak = None, [], 0
                tracker.resolved_at = s.window_end
                return [AlertUpdate(g, alert, s.window_start, s.window_end) for g in groups]
        # Firing: every window is news (it moves the group's clock for repeats, and resolves count).
        return [AlertUpdate(g, alert, s.window_start, s.window_end) for g in tracker.groups]

    # -- group level ------------------------------------------------------------------------------

    def apply(self, group: GroupState, update: AlertUpdate) -> bool:
        """Apply one alert update to its group; False when it is a replay already applied."""
        fp = update.alert.fingerprint
        member = group.members.get(fp)
        if member is not None and update.window <= member.seen:
            return False
        same_episode = member is not None and member.alert.started_at == update.alert.started_at
        group.members[fp] = Member(alert=update.alert, seen=update.window,
                                   silenced_by=member.silenced_by if same_episode else [],
                                   deliveries=member.deliveries if same_episode else [])
        group.now = max(group.now, update.at) if group.now else update.at
        return True

    def evaluate(self, group: GroupState, silenced: SilenceCheck = _no_silences) -> list[Notification]:
        """Decide what the group must send now; the notifications are also queued in its outbox."""
        now = group.now
        if now is None:
            return []
        firing = group.firing
        for fp in firing:
            group.members[fp].silenced_by = silenced(group.members[fp].alert.labels)
        active = [fp for fp in firing if not group.members[fp].silenced_by]
        notified = [fp for fp in group.notified if fp in firing]  # resolved ones drop out
        kind: str | None = None
        if active:
            joined = [fp for fp in active if fp not in notified]
            since = now - group.last_notified_at if group.last_notified_at else None
            if not notified:
                kind = "firing"
            elif joined and since is not None and since >= self.group_interval:
                kind = "update"
            elif self.repeat and since is not None and since >= self.repeat:
                kind = "repeat"
        elif not firing and group.paged:
            kind = "resolved"
        sent: list[Notification] = []
        if kind == "resolved":
            alerts = [group.members[fp].alert for fp in group.paged if fp in group.members]
            sent.append(self._notification(group, "resolved", alerts))
            group.notified, group.paged = [], []
        elif kind is not None:
            sent.append(self._notification(group, kind, [group.members[fp].alert for fp in active]))
            group.notified = sorted(set(notified) | set(active))
            group.paged = sorted(set(group.paged) | set(active))
            group.last_notified_at = now
        else:
            group.notified = notified
        group.outbox.extend(sent)
        return sent

    def _notification(self, group: GroupState, kind: str, alerts: list[AlertRecord]) -> Notification:
        ordered = sorted(alerts, key=lambda a: (-RANK[a.severity], -a.score, a.fingerprint))
        return Notification(group_key=group.ref.key, route=group.ref.route, receivers=list(group.ref.receivers),
                            group_labels=dict(group.ref.labels), kind=kind, at=group.now, alerts=ordered)

    @staticmethod
    def record_delivery(group: GroupState, notification: Notification, delivery: dict[str, Any]) -> None:
        """Remember how one receiver's delivery of ``notification`` ended, on each alert it carried."""
        for alert in notification.alerts:
            member = group.members.get(alert.fingerprint)
            if member is not None and member.alert.started_at == alert.started_at:
                member.deliveries = (member.deliveries + [delivery])[-MAX_DELIVERIES:]

    @staticmethod
    def prune(group: GroupState) -> None:
        """Forget alerts resolved long ago (event time); they only guarded against replays."""
        if group.now is None:
            return
        for fp in [fp for fp, m in group.members.items()
                   if m.alert.status == "resolved" and m.alert.ended_at is not None
                   and m.alert.ended_at < group.now - KEEP_RESOLVED and fp not in group.paged]:
            del group.members[fp]
