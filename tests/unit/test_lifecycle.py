"""Alert lifecycle: firing → resolved, dedup, repeat, cooldown, grouping, silences, state round trips."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from alerts.judge import Judgement
from alerts.lifecycle import AlertTracker, AlertUpdate, GroupState, Lifecycle
from alerts.model import fingerprint
from alerts.windows import WindowStats
from schemas.config import AlertsConfig

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def judged(minute: int, anomalous: bool, *, rate: float = 0.2, baseline: float | None = 0.02,
           app: str = "bot", model: str = "m", category: str = "toxicity") -> Judgement:
    stats = WindowStats(app, model, category, T0 + timedelta(minutes=minute), T0 + timedelta(minutes=minute + 1),
                        100, round(rate * 100), rate, ("you <EMAIL> idiot",) if anomalous else ())
    score = rate / baseline if baseline else 0.9
    return Judgement(stats, anomalous, baseline, score, (f"spike: rate {rate:.0%}",),
                     ("spike",) if anomalous else ())


class Pipeline:
    """Both levels wired as the agents wire them, with state round-tripped through JSON every step."""

    def __init__(self, **alerts):
        self.config = AlertsConfig.model_validate(alerts)
        self.lifecycle = Lifecycle(self.config)
        self.trackers: dict[tuple, str] = {}
        self.groups: dict[str, str] = {}
        self.silenced: list[dict] = []  # label dicts that are silenced (all given labels must match)

    def _silences(self, labels):
        return [f"s{i}" for i, s in enumerate(self.silenced) if all(labels[k] == v for k, v in s.items())]

    def step(self, *judgements: Judgement) -> list:
        updates: list[AlertUpdate] = []
        for j in judgements:
            key = (j.stats.app, j.stats.model, j.stats.category)
            tracker = AlertTracker.from_dict(json.loads(self.trackers[key])) if key in self.trackers else AlertTracker()
            updates += self.lifecycle.track(tracker, j)
            self.trackers[key] = json.dumps(tracker.to_dict())
        # Updates travel through Kafka as JSON.
        updates = [AlertUpdate.from_dict(json.loads(json.dumps(u.to_dict()))) for u in updates]
        touched: dict[str, GroupState] = {}
        for u in updates:
            state = touched.get(u.group.key) or (GroupState.from_dict(json.loads(self.groups[u.group.key]))
                                                 if u.group.key in self.groups else GroupState(ref=u.group))
            self.lifecycle.apply(state, u)
            touched[u.group.key] = state
        sent = []
        for key, state in touched.items():
            sent += self.lifecycle.evaluate(state, self._silences)
            state.outbox.clear()  # "delivered"
            self.groups[key] = json.dumps(state.to_dict())
        return sent

    def run(self, minutes, anomalous_minutes, **kw) -> list[tuple[int, str]]:
        out = []
        for minute in minutes:
            for n in self.step(judged(minute, minute in anomalous_minutes, **kw)):
                out.append((minute, n.kind))
        return out

    def group(self, key: str) -> GroupState:
        return GroupState.from_dict(json.loads(self.groups[key]))


def test_one_trigger_per_episode_and_a_resolve_after_n_normal_windows():
    p = Pipeline(resolve_after_windows=2, repeat_interval=0)
    sent = []
    for minute in range(12):
        sent += [(minute, n) for n in p.step(judged(minute, 3 <= minute <= 7))]
    assert [(m, n.kind, n.action) for m, n in sent] == [(3, "firing", "trigger"), (9, "resolved", "resolve")]
    trigger, resolve = sent[0][1], sent[1][1]
    assert trigger.group_key == resolve.group_key  # one incident: the same dedup key
    [alert] = resolve.alerts
    assert alert.status == "resolved" and alert.started_at == T0 + timedelta(minutes=3)
    assert alert.ended_at == T0 + timedelta(minutes=10) and alert.windows == 5
    assert alert.fingerprint == fingerprint("bot", "m", "toxicity")
    assert trigger.lead.examples == ["you <EMAIL> idiot"] and trigger.lead.detectors == ["spike"]


def test_one_normal_window_inside_an_episode_does_not_resolve_it():
    p = Pipeline(resolve_after_windows=3, repeat_interval=0)
    assert p.run(range(10), {1, 2, 4, 6}) == [(1, "firing"), (9, "resolved")]


def test_cooldown_keeps_a_flapping_series_quiet():
    p = Pipeline(resolve_after_windows=1, cooldown="5m", repeat_interval=0)
    # Episode 1 at 0, resolved by window 1 (ends 10:02); 2-5 end before 10:07: no new episode.
    assert p.run(range(9), {0, 2, 4, 5, 6, 7}) == [(0, "firing"), (1, "resolved"), (6, "firing"),
                                                     (8, "resolved")]
    no_cooldown = Pipeline(resolve_after_windows=1, cooldown=0, repeat_interval=0)
    assert no_cooldown.run(range(4), {0, 2}) == [(0, "firing"), (1, "resolved"), (2, "firing"), (3, "resolved")]


def test_repeat_interval_re_notifies_a_still_firing_group_in_event_time():
    p = Pipeline(repeat_interval="10m")
    assert p.run(range(25), set(range(25))) == [(0, "firing"), (10, "repeat"), (20, "repeat")]
    off = Pipeline(repeat_interval=0)
    assert off.run(range(25), set(range(25))) == [(0, "firing")]


def test_group_by_app_sends_one_notification_for_several_models_and_categories():
    p = Pipeline(grouping={"group_by": ["app"], "group_interval": "5m"}, repeat_interval=0)
    first = p.step(*(judged(0, True, model=m, category=c) for m in ("m1", "m2") for c in ("toxicity", "pii")),
                   judged(0, True, app="other"))
    by_app = {n.group_labels["app"]: n for n in first}
    assert set(by_app) == {"bot", "other"} and len(first) == 2
    assert len(by_app["bot"].alerts) == 4 and by_app["bot"].kind == "firing"
    assert by_app["bot"].summary.startswith("4 alerts for app=bot: ")
    # A category joining later is an update, but not before group_interval has passed since the last one.
    joined = []
    for minute in range(1, 8):
        judgements = [judged(minute, True, model=m, category=c) for m in ("m1", "m2") for c in ("toxicity", "pii")]
        judgements.append(judged(minute, minute >= 2, model="m1", category="bias"))
        joined += [(minute, n.kind, len(n.alerts)) for n in p.step(*judgements)]
    assert joined == [(5, "update", 5)]


def test_silenced_alerts_are_tracked_but_not_sent_until_the_silence_ends():
    p = Pipeline(repeat_interval=0)
    p.silenced = [{"app": "bot", "category": "toxicity"}]
    assert p.step(judged(0, True)) == [] and p.step(judged(1, True)) == []
    key = next(iter(p.groups))
    member = p.group(key).members[fingerprint("bot", "m", "toxicity")]
    assert member.status == "silenced" and member.silenced_by == ["s0"]
    assert p.step(judged(1, True, category="pii"))[0].lead.category == "pii"  # other categories still page
    p.silenced = []
    [trigger] = p.step(judged(2, True))
    assert trigger.kind == "firing" and p.group(key).members[fingerprint("bot", "m", "toxicity")].status == "firing"


def test_a_group_never_paged_is_not_resolved():
    p = Pipeline(resolve_after_windows=1, repeat_interval=0)
    p.silenced = [{"app": "bot"}]
    assert p.run(range(4), {0, 1}) == []


def test_routing_by_severity_and_escalation_adds_the_critical_route():
    p = Pipeline(
        receivers={"oncall": {"type": "log"}, "team": {"type": "log"}},
        routing={"routes": [{"name": "pager", "match": {"severity": "critical"}, "receivers": ["oncall"]}],
                 "default_receivers": ["team"]},
        rule={"factor": 3.0}, repeat_interval=0)  # critical at 6x the baseline
    [warning] = p.step(judged(0, True, rate=0.08))  # 4x
    assert (warning.route, warning.receivers, warning.severity) == ("default", ["team"], "warning")
    escalated = p.step(judged(1, True, rate=0.20))  # 10x: the pager route joins; the team keeps it
    assert [(n.route, n.kind, n.severity) for n in escalated] == [("pager", "firing", "critical")]
    resolved = p.step(judged(2, False, rate=0.02)) + p.step(judged(3, False, rate=0.02))
    assert sorted(n.route for n in resolved) == ["default", "pager"]
    assert {n.kind for n in resolved} == {"resolved"}


def test_no_baseline_alerts_are_warnings_with_their_detectors():
    p = Pipeline()
    [n] = p.step(judged(0, True, baseline=None))
    assert n.severity == "warning" and n.lead.baseline is None and n.lead.factor_over_baseline is None
    assert "toxicity violations in bot / m: 20.0% of events (20/100)" in n.summary and "(spike)" in n.summary


def test_replayed_windows_and_updates_are_ignored():
    config = AlertsConfig()
    lifecycle = Lifecycle(config)
    tracker = AlertTracker()
    [update] = lifecycle.track(tracker, judged(0, True))
    assert lifecycle.track(tracker, judged(0, True)) == []  # the same window again (emitted twice)
    group = GroupState(ref=update.group)
    assert lifecycle.apply(group, update) is True
    assert lifecycle.apply(group, update) is False
    assert [n.kind for n in lifecycle.evaluate(group)] == ["firing"]
    assert lifecycle.evaluate(group) == []  # dedup: nothing while it keeps firing


def test_state_survives_a_round_trip_mid_incident_without_a_second_page():
    config = AlertsConfig.model_validate({"repeat_interval": 0, "resolve_after_windows": 2})
    lifecycle = Lifecycle(config)
    tracker = AlertTracker()
    [update] = lifecycle.track(tracker, judged(0, True))
    group = GroupState(ref=update.group)
    lifecycle.apply(group, update)
    assert len(lifecycle.evaluate(group)) == 1
    lifecycle.record_delivery(group, group.outbox.pop(), {"receiver": "log", "outcome": "delivered"})
    # "Restart": only the plain data survives.
    tracker = AlertTracker.from_dict(json.loads(json.dumps(tracker.to_dict())))
    group = GroupState.from_dict(json.loads(json.dumps(group.to_dict())))
    lifecycle = Lifecycle(config)
    sent = []
    for minute, anomalous in [(1, True), (2, True), (3, False), (4, False)]:
        for u in lifecycle.track(tracker, judged(minute, anomalous)):
            lifecycle.apply(group, u)
        sent += lifecycle.evaluate(group)
    assert [n.kind for n in sent] == ["resolved"]
    [member] = group.members.values()
    assert member.deliveries == [{"receiver": "log", "outcome": "delivered"}] and member.status == "resolved"


def test_undelivered_notifications_stay_in_the_outbox_state():
    lifecycle = Lifecycle(AlertsConfig())
    tracker = AlertTracker()
    [update] = lifecycle.track(tracker, judged(0, True))
    group = GroupState(ref=update.group)
    lifecycle.apply(group, update)
    [n] = lifecycle.evaluate(group)
    restored = GroupState.from_dict(json.loads(json.dumps(group.to_dict())))
    assert restored.outbox == [n] and restored.outbox[0].action == "trigger"


def test_old_state_versions_are_refused():
    with pytest.raises(ValueError, match="version"):
        AlertTracker.from_dict({"version": 99})
    with pytest.raises(ValueError, match="version"):
        GroupState.from_dict({"version": 0})
