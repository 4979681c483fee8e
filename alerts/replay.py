"""Replay a rate series through the detectors and say when and why alerts would fire and resolve.

The engine of ``guardstream test-rule`` (after ElastAlert's ``elastalert-test-rule``). Input is JSONL,
one closed window per line, with the fields of ``WindowStats.to_dict()``: app, model, category,
window_start, window_end, events, violations, and optionally rate and examples. Each series must be in
time order. An alert fires at the first anomalous window of an episode and resolves at the first
normal one after it; routing, grouping, silences, repeat and cooldown are not applied here.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

from alerts.judge import Judgement, RateJudge
from alerts.windows import WindowStats

_REQUIRED = ("app", "model", "category", "window_start", "window_end", "events", "violations")


class RatesFileError(ValueError):
    """A rates file line that cannot be read; ``line`` is its 1-based number."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 string")
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 time: {value!r}") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)  # naive means UTC, as everywhere


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return value


def parse_window(raw: dict[str, Any]) -> WindowStats:
    """One rates line (already JSON-decoded) as a WindowStats; ValueError says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("a line must be a JSON object")
    missing = [name for name in _REQUIRED if name not in raw]
    if missing:
        raise ValueError(f"missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    for name in ("app", "model", "category"):
        if not isinstance(raw[name], str) or not raw[name]:
            raise ValueError(f"{name} must be a non-empty string")
    start, end = _time(raw["window_start"], "window_start"), _time(raw["window_end"], "window_end")
    if end <= start:
        raise ValueError("window_end must be after window_start")
    events, violations = _count(raw["events"], "events"), _count(raw["violations"], "violations")
    if violations > events:
        raise ValueError(f"violations ({violations}) exceed events ({events})")
    rate = violations / events if events else 0.0
    if raw.get("rate") is not None:
        given = raw["rate"]
        if isinstance(given, bool) or not isinstance(given, (int, float)) or not math.isclose(
                given, rate, abs_tol=1e-4):
            raise ValueError(f"rate {given!r} does not match violations / events = {rate:.6f}")
    examples = raw.get("examples") or []
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise ValueError("examples must be a list of strings")
    return WindowStats(raw["app"], raw["model"], raw["category"], start, end, events, violations, rate,
                       tuple(examples))


def read_rates(path: str | Path) -> Iterator[WindowStats]:
    """The windows of a JSONL rates file; blank lines are skipped, a bad line raises RatesFileError."""
    last_start: dict[tuple[str, str, str], datetime] = {}
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise RatesFileError(str(path), 0, exc.strerror or str(exc)) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                stats = parse_window(json.loads(line))
            except json.JSONDecodeError as exc:
                raise RatesFileError(str(path), number, f"not JSON: {exc.msg}") from None
            except ValueError as exc:
                raise RatesFileError(str(path), number, str(exc)) from None
            key = (stats.app, stats.model, stats.category)
            if key in last_start and stats.window_start <= last_start[key]:
                raise RatesFileError(str(path), number, f"window {stats.window_start.isoformat()} of "
                                     f"{'/'.join(key)} is not after the previous one of that series")
            last_start[key] = stats.window_start
            yield stats


@dataclass(frozen=True)
class ReplayEvent:
    """An alert that would fire, or resolve, at a window."""

    action: str  # "fire" or "resolve"
    judgement: Judgement
    #: For a resolve: how many windows the episode was anomalous.
    windows: int = 0

    def to_dict(self) -> dict[str, Any]:
        j, s = self.judgement, self.judgement.stats
        return {"action": self.action, "app": s.app, "model": s.model, "category": s.category,
                "window_start": s.window_start.isoformat(), "window_end": s.window_end.isoformat(),
                "events": s.events, "violations": s.violations, "rate": s.rate, "baseline": j.baseline,
                "score": j.score, "detectors": list(j.detectors), "reasons": list(j.reasons),
                **({"windows": self.windows} if self.action == "resolve" else {})}


@dataclass
class ReplaySummary:
    windows: int = 0
    series: int = 0
    judged: int = 0        # past every detector's warm-up for at least one detector
    anomalous: int = 0
    fired: int = 0
    resolved: int = 0
    still_firing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def replay(judge: RateJudge, windows: Iterable[WindowStats]) -> tuple[list[ReplayEvent], ReplaySummary]:
    """Judge every window in order; the fire / resolve events and a summary."""
    events: list[ReplayEvent] = []
    summary = ReplaySummary()
    firing: dict[tuple[str, str, str], int] = {}  # series -> anomalous windows so far in its episode
    seen: set[tuple[str, str, str]] = set()
    for stats in windows:
        key = (stats.app, stats.model, stats.category)
        seen.add(key)
        summary.windows += 1
        j = judge.observe(stats)
        summary.judged += j.ready
        summary.anomalous += j.anomalous
        if j.anomalous and key not in firing:
            firing[key] = 1
            summary.fired += 1
            events.append(ReplayEvent("fire", j))
        elif j.anomalous:
            firing[key] += 1
        elif key in firing:
            summary.resolved += 1
            events.append(ReplayEvent("resolve", j, windows=firing.pop(key)))
    summary.series = len(seen)
    summary.still_firing = ["/".join(key) for key in sorted(firing)]
    return events, summary


def write_text(events: list[ReplayEvent], summary: ReplaySummary, out: TextIO) -> None:
    """The human-readable report: one block per fire / resolve, then the summary."""
    for event in events:
        j, s = event.judgement, event.judgement.stats
        baseline = "-" if j.baseline is None else f"{j.baseline:.1%}"
        head = (f"{s.window_start:%Y-%m-%d %H:%M}-{s.window_end:%H:%M}  {event.action.upper():<7}  "
                f"{s.app}/{s.model}/{s.category}  rate {s.rate:.1%} ({s.violations}/{s.events})  "
                f"baseline {baseline}  score {j.score:.1f}")
        if event.action == "fire":
            out.write(f"{head}  by {', '.join(j.detectors)}\n")
        else:
            out.write(f"{head}  after {event.windows} anomalous window{'s' if event.windows > 1 else ''}\n")
        for reason in j.reasons:
            out.write(f"    {reason}\n")
    alerts = "1 alert" if summary.fired == 1 else f"{summary.fired} alerts"
    out.write(f"\n{summary.windows} windows in {summary.series} series, {summary.judged} judged "
              f"(the rest warming up), {summary.anomalous} anomalous; {alerts} would fire, "
              f"{summary.resolved} resolve")
    out.write(f"; still firing at the end: {', '.join(summary.still_firing)}\n" if summary.still_firing else "\n")


def write_json(events: list[ReplayEvent], summary: ReplaySummary, out: TextIO) -> None:
    """One JSON object: ``events`` (fire / resolve) and ``summary``."""
    json.dump({"events": [e.to_dict() for e in events], "summary": summary.to_dict()}, out, indent=1)
    out.write("\n")
