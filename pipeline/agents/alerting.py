"""Agent ``alerts``: alert news per group → notifications (trigger, update, repeat, resolve) to the
group's receivers, silences applied, and every alert episode indexed with how its deliveries ended.

Group state (``alerts.lifecycle.GroupState``) lives in the changelog-backed table ``alert-groups``,
keyed by group like the internal topic it reads. For each batch: apply the news, decide, **write the
state with the notifications queued in its outbox**, deliver, and write again with the outbox
emptied. So a restart neither forgets a firing group (no second page for it) nor loses a decided
notification: what a crash left in an outbox is delivered once the table is recovered.
Silences are re-read from Elasticsearch every ``alerts.silences.refresh_s`` seconds.
"""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from typing import Any

import faust

from alerts.lifecycle import AlertUpdate, GroupState, Lifecycle, Notification
from alerts.notifiers.base import Notifier
from alerts.routing import build_receivers
from alerts.silences import SilenceCache
from pipeline.agents.anomaly import updates_topic
from pipeline.agents.rates import state_table
from schemas.documents import alert_record_document, alert_record_id

log = logging.getLogger(__name__)

#: How long the first read of the silences is retried before alerting starts without them.
FIRST_SILENCES_WAIT_S = 30.0


def register(app: faust.App, rt) -> None:
    """Attach the alerts agent and the silences timer to ``app``; ``rt`` is the shared Runtime."""
    config = rt.config
    lifecycle = Lifecycle(config.alerts)
    receivers = build_receivers(config.alerts)
    silences = SilenceCache(config.elasticsearch.silences_index)
    groups = state_table(app, "alert-groups", config)
    flags = {"scan_outboxes": False}
    # The agent and the timer both deliver; one at a time, or a group could be sent twice.
    busy = asyncio.Lock()

    @groups.on_recover
    async def recovered() -> None:
        flags["scan_outboxes"] = True  # delivered by the agent or the timer, not during recovery

    @app.agent(updates_topic(app, config), name="alerts")
    async def alerts(stream: faust.StreamT) -> None:
        async for batch in stream.take(500, within=0.5):
            await _first_silences(rt, silences)
            async with busy:
                await _flush_outboxes(rt, lifecycle, receivers, groups, flags)
                await _handle(rt, lifecycle, receivers, silences, groups, batch)

    @app.timer(config.alerts.silences.refresh_s)
    async def refresh_silences() -> None:
        await silences.refresh(rt.writer.client)
        async with busy:
            await _flush_outboxes(rt, lifecycle, receivers, groups, flags)

    app.guardstream_silences = silences  # type: ignore[attr-defined]


async def _first_silences(rt, silences: SilenceCache) -> None:
    """Never page before the silences were read once (or the search stayed down for too long)."""
    if silences.loaded:
        return
    waited, delay = 0.0, 0.5
    while not await silences.refresh(rt.writer.client):
        if waited >= FIRST_SILENCES_WAIT_S:
            log.error("silences unreadable for %.0fs; alerting without them until they can be read", waited)
            silences.loaded = True
            return
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 5.0)


def _load(groups: faust.TableT, key: bytes) -> GroupState | None:
    raw = groups.get(key)
    if not raw:
        return None
    try:
        return GroupState.from_dict(json.loads(raw))
    except (TypeError, ValueError, KeyError) as exc:
        log.error("ignoring an unreadable alert-groups row: %s", exc)
        return None


def _save(groups: faust.TableT, state: GroupState) -> None:
    groups[state.ref.key.encode()] = json.dumps(state.to_dict()).encode()


async def _handle(rt, lifecycle: Lifecycle, receivers: dict[str, Notifier], silences: SilenceCache,
                  groups: faust.TableT, batch) -> None:
    states: dict[str, GroupState] = {}
    changed: dict[str, set[str]] = {}
    for value in batch:
        try:
            update = AlertUpdate.from_dict(json.loads(value))
        except (TypeError, ValueError, KeyError) as exc:
            log.error("skipping a malformed alert update: %s", type(exc).__name__)
            continue
        key = update.group.key
        if key not in states:
            states[key] = _load(groups, key.encode()) or GroupState(ref=update.group)
        if lifecycle.apply(states[key], update):
            changed.setdefault(key, set()).add(update.alert.fingerprint)
    now = datetime.now(timezone.utc)
    for key, state in states.items():
        before = {fp: m.status for fp, m in state.members.items()}
        lifecycle.evaluate(state, lambda labels: silences.matching(labels, now))
        changed.setdefault(key, set()).update(
            fp for fp, m in state.members.items() if before.get(fp) != m.status)
        _save(groups, state)  # decided notifications are durable before anything is sent
    for key, state in states.items():
        for notification in state.outbox:
            changed[key].update(a.fingerprint for a in notification.alerts)
        await _deliver(rt, lifecycle, receivers, groups, state)
    docs = [(alert_record_id(state.members[fp], state.ref), alert_record_document(state.members[fp], state.ref))
            for key, state in states.items() for fp in sorted(changed.get(key, ())) if fp in state.members]
    if docs:
        await rt.writer.write(rt.config.elasticsearch.alerts_index, docs)
    for state in states.values():
        lifecycle.prune(state)
        _save(groups, state)


async def _deliver(rt, lifecycle: Lifecycle, receivers: dict[str, Notifier], groups: faust.TableT,
                   state: GroupState) -> None:
    """Send the outbox, oldest first; the state is saved after each receiver so none gets it twice."""
    while state.outbox:
        notification = state.outbox[0]
        pending = list(dict.fromkeys(notification.receivers))
        while pending:
            name = pending.pop(0)
            delivery = await _send(rt, receivers.get(name), name, notification)
            lifecycle.record_delivery(state, notification, delivery)
            state.outbox[0] = notification.model_copy(update={"receivers": pending})
            _save(groups, state)
        state.outbox.pop(0)
        _save(groups, state)


async def _send(rt, notifier: Notifier | None, name: str, notification: Notification) -> dict[str, Any]:
    at = datetime.now(timezone.utc).isoformat()
    base = {"receiver": name, "notification": notification.kind, "action": notification.action, "at": at}
    if notifier is None:  # the config changed since the group was routed
        log.error("alert group %s: receiver %r is no longer configured", notification.group_key, name)
        return {**base, "notifier": "none", "outcome": "permanent", "status": None, "attempts": 0,
                "detail": "receiver not configured"}
    log.warning("alert %s %s to %s (%s): %s", notification.kind, notification.group_key, name,
                notifier.name, notification.summary)
    result = await rt.run_io(notifier.send, notification)
    rt.metrics.alert_delivery(notifier.name, result)
    if not result.delivered:
        log.error("alert group %s not delivered to %s: %s %s", notification.group_key, name, result.outcome,
                  result.detail[:200])
    return {**base, "notifier": notifier.name, "outcome": result.outcome, "status": result.status_code,
            "attempts": result.attempts, "detail": result.detail[:300]}


async def _flush_outboxes(rt, lifecycle: Lifecycle, receivers: dict[str, Notifier], groups: faust.TableT,
                          flags: dict[str, bool]) -> None:
    """After a recovery, deliver what a crash left decided but unsent."""
    if not flags["scan_outboxes"]:
        return
    flags["scan_outboxes"] = False
    for key in list(groups.keys()):
        state = _load(groups, key)
        if state is not None and state.outbox:
            log.warning("alert group %s: delivering %d notification(s) left from before a restart",
                        state.ref.key, len(state.outbox))
            await _deliver(rt, lifecycle, receivers, groups, state)
