"""Evaluate the anomaly detectors on generated traffic with daily seasonality and injected spikes.

    .venv/bin/python -m bench.anomaly_eval                 # the default run (about 2 minutes, 2 CPUs)
    .venv/bin/python -m bench.anomaly_eval --days 29 --reps 6 --full    # the bigger one (about an hour)

Every series is 1-minute windows over ``--days`` simulated days. Events per minute and the normal
violation rate both follow the time of day (Poisson events, binomial violations), and one series has
a sharp daily peak (a scheduled red-team job that triples its rate for 45 minutes every afternoon),
which is normal and must not page. Spikes of several sizes (x the true normal rate at that minute)
and lengths are injected at random times after the first (learning) day.

Each detector combination judges every window through ``RateJudge``; an alert is the first anomalous
window of an episode, and an episode ends at the first normal window (firing -> resolved). Reported:

* per spike size and length: recall (any spike window anomalous), recall within 2 windows, and the
  detection delay: the spike window (1 = its first) that was first judged anomalous;
* false alerts: alerts that start outside every injected spike (or the 2 windows after one), per
  simulated day and per week of normal traffic, per series (the target is per series) and in all;
  the first day is the learning day and is counted apart.

Targets (issue 5): every spike of >= 3x for >= 2 windows detected within 2 windows; <= 1 false alert
per simulated week of normal traffic. Writes bench/results/anomaly.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from alerts.judge import RateJudge
from alerts.windows import WindowStats
from schemas.config import AlertsConfig

T0 = datetime(2025, 3, 3, tzinfo=timezone.utc)  # a Monday, 00:00 UTC
WINDOW_S = 60
PER_DAY = 86_400 // WINDOW_S
SIZES = (2.0, 3.0, 5.0, 10.0)
LENGTHS = (1, 2, 5, 15)
#: Alerts this many windows after a spike ends still belong to it (its tail), not false alerts.
TAIL = 2
RESULTS = Path(__file__).parent / "results" / "anomaly.json"


@dataclass(frozen=True)
class SeriesSpec:
    app: str
    category: str
    events_per_min: float   # daily mean
    base_rate: float        # daily mean of the normal violation rate
    traffic_swing: float    # events/min = mean x (1 + swing x sin(...)), busiest at 15:00 UTC
    rate_swing: float       # rate = base x (1 + swing x sin(...)), highest at 03:00 UTC (night bots)
    peak: tuple[int, int, float] | None = None  # (start minute of day, minutes, rate multiplier)
    #: (per day, minutes, rate multiplier): normal bursts at random times, e.g. an eval job the team
    #: runs a few times a day. Not daily-aligned, so only a learned model can call them normal.
    bursts: tuple[int, int, float] | None = None
    #: Too few violations per window for a 3x spike to be told from noise (see README): reported,
    #: not held to the target.
    low_volume: bool = False

    @property
    def in_target(self) -> bool:
        return not self.low_volume and self.bursts is None

    @property
    def note(self) -> str:
        if self.low_volume:
            return "low volume: a 3x spike is within noise"
        return "normal random bursts" if self.bursts else ""


SERIES = (
    SeriesSpec("support-bot", "toxicity", 900, 0.02, 0.5, 0.3),
    SeriesSpec("support-bot", "pii", 900, 0.05, 0.5, 0.2),
    SeriesSpec("code-assistant", "toxicity", 2500, 0.006, 0.6, 0.3),
    SeriesSpec("redteam-sandbox", "toxicity", 300, 0.10, 0.4, 0.2, peak=(14 * 60, 45, 3.0)),
    SeriesSpec("hr-helper", "bias", 400, 0.03, 0.5, 0.4, peak=(9 * 60, 30, 2.5)),
    SeriesSpec("intranet-faq", "toxicity", 40, 0.02, 0.5, 0.3, low_volume=True),
    SeriesSpec("eval-runner", "toxicity", 600, 0.03, 0.3, 0.2, bursts=(4, 10, 2.5)),
)


def normal_profile(spec: SeriesSpec, minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(expected events, normal violation rate) for each minute since T0."""
    hour = (minutes % PER_DAY) / 60.0
    events = spec.events_per_min * (1 + spec.traffic_swing * np.sin(2 * np.pi * (hour - 9) / 24))
    rate = spec.base_rate * (1 + spec.rate_swing * np.sin(2 * np.pi * (hour + 3) / 24))
    if spec.peak is not None:
        start, length, mult = spec.peak
        in_peak = ((minutes % PER_DAY) >= start) & ((minutes % PER_DAY) < start + length)
        rate = np.where(in_peak, rate * mult, rate)
    return events, rate


@dataclass(frozen=True)
class Spike:
    series: int
    start: int       # window index
    length: int
    size: float
    #: Expected violations per window at the normal rate when it starts (what "detectable" hinges on).
    expected_normal: float


def schedule_spikes(rng: np.random.Generator, n_windows: int, reps: int, series: int,
                    expected: np.ndarray) -> list[Spike]:
    """``reps`` spikes of every size and length at random times after the first day, apart."""
    combos = [(size, length) for size in SIZES for length in LENGTHS for _ in range(reps)]
    rng.shuffle(combos)
    taken = np.zeros(n_windows, dtype=bool)
    spikes = []
    for size, length in combos:
        for _ in range(1000):
            start = int(rng.integers(PER_DAY + 60, n_windows - 60))
            # Apart by an hour or more, so each is judged against normal traffic.
            if not taken[start - 60:start + length + 60].any():
                taken[start:start + length] = True
                spikes.append(Spike(series, start, length, size, float(expected[start])))
                break
    return sorted(spikes, key=lambda s: s.start)


def generate(spec: SeriesSpec, index: int, days: int, reps: int, seed: int):
    """The windows of one series (as WindowStats) and the spikes injected in them."""
    rng = np.random.default_rng(seed + 1000 * index)
    n = days * PER_DAY
    minutes = np.arange(n)
    mean_events, rate = normal_profile(spec, minutes)
    events = rng.poisson(mean_events)
    spikes = schedule_spikes(rng, n, reps, index, mean_events * rate)
    true_rate = rate.copy()
    for s in spikes:
        true_rate[s.start:s.start + s.length] = np.minimum(rate[s.start:s.start + s.length] * s.size, 0.95)
    if spec.bursts is not None:
        per_day, length, mult = spec.bursts
        for start in rng.integers(0, n - length, size=per_day * days):
            true_rate[start:start + length] *= mult
        true_rate = np.minimum(true_rate, 0.95)
    violations = rng.binomial(events, true_rate)
    windows = []
    for i in range(n):
        start = T0 + timedelta(seconds=WINDOW_S * i)
        ev, v = int(events[i]), int(violations[i])
        windows.append(WindowStats(spec.app, "m1", spec.category, start, start + timedelta(seconds=WINDOW_S),
                                   ev, v, v / ev if ev else 0.0))
    return windows, spikes


def run_mode(config: AlertsConfig, windows: list[WindowStats]) -> np.ndarray:
    """Judge a series' windows in order; returns the anomalous flag of each."""
    judge = RateJudge(config)
    return np.fromiter((judge.observe(w).anomalous for w in windows), dtype=bool, count=len(windows))


def score_series(flags: np.ndarray, spikes: list[Spike]) -> tuple[list[dict], list[int]]:
    """Per-spike outcomes and the start windows of false alerts."""
    starts = np.flatnonzero(flags & ~np.concatenate(([False], flags[:-1])))  # first window of each episode
    covered = np.zeros(len(flags), dtype=bool)
    outcomes = []
    for s in spikes:
        covered[s.start:s.start + s.length + TAIL] = True
        hit = np.flatnonzero(flags[s.start:s.start + s.length])
        delay = int(hit[0]) + 1 if len(hit) else None
        outcomes.append({**asdict(s), "detected": delay is not None, "delay": delay})
    false = [int(i) for i in starts if not covered[i]]
    return outcomes, false


def summarise(outcomes: list[dict], false: dict[int, list[int]], n_windows: int, specs: list[SeriesSpec],
              spike_windows: dict[int, int]) -> dict:
    """Recall / delay per size and length, false alerts per day and week, and the target verdicts.

    The table and the targets cover the series a 3x spike can be told apart in; the low-volume
    series and the one with normal random bursts are reported on their own lines.
    """
    in_scope = [spec.in_target for spec in specs]
    table = {}
    for size in SIZES:
        for length in LENGTHS:
            group = [o for o in outcomes if o["size"] == size and o["length"] == length and in_scope[o["series"]]]
            delays = [o["delay"] for o in group if o["delay"] is not None]
            table[f"{size:g}x{length}"] = {
                "spikes": len(group),
                "recall": sum(o["detected"] for o in group) / len(group) if group else None,
                "recall_within_2": sum(1 for d in delays if d <= 2) / len(group) if group else None,
                "mean_delay": float(np.mean(delays)) if delays else None,
                "max_delay": max(delays) if delays else None,
            }
    per_series = {}
    for i, spec in enumerate(specs):
        first_day = sum(1 for w in false[i] if w < PER_DAY)
        later = [w for w in false[i] if w >= PER_DAY]
        normal_weeks = (n_windows - PER_DAY - spike_windows[i]) / (7 * PER_DAY)
        big = [o for o in outcomes if o["series"] == i and o["size"] >= 3 and o["length"] >= 2]
        per_series[f"{spec.app}/{spec.category}"] = {
            "first_day_false_alerts": first_day, "false_alerts": len(later),
            "per_day": len(later) / (normal_weeks * 7), "per_week": len(later) / normal_weeks,
            "recall_3x_2w_within_2": sum(1 for o in big if o["delay"] is not None and o["delay"] <= 2) / len(big),
            "in_target": spec.in_target, "note": spec.note,
        }
    in_target = [o for o in outcomes if o["size"] >= 3 and o["length"] >= 2 and in_scope[o["series"]]]
    missed = [o for o in in_target if not (o["delay"] is not None and o["delay"] <= 2)]
    target_rows = [v for v in per_series.values() if v["in_target"]]
    worst_week = max(v["per_week"] for v in target_rows)
    return {
        "by_spike": table, "series": per_series,
        "targets": {
            "spikes_3x_2w": len(in_target), "missed_within_2": len(missed),
            "missed": [{k: o[k] for k in ("series", "start", "size", "length", "delay", "expected_normal")}
                       for o in missed],
            "worst_series_false_per_week": worst_week,
            "false_alerts_target_series": sum(v["false_alerts"] for v in target_rows),
            "met": not missed and worst_week <= 1.0,
        },
    }


def modes(pyod_only: list[str], models: list[str], threshold: float | None = None,
          alone_threshold: float = 0.999) -> dict[str, AlertsConfig]:
    """The detector combinations compared, by label."""
    base = AlertsConfig()  # the shipped defaults
    if threshold is not None:
        pyod_cfg = base.detection.pyod.model_copy(update={"threshold": threshold})
        base = base.model_copy(update={"detection": base.detection.model_copy(update={"pyod": pyod_cfg})})

    def detection(**changes) -> AlertsConfig:
        return base.model_copy(update={"detection": base.detection.model_copy(update=changes)})

    def pyod(**changes):
        return base.detection.pyod.model_copy(update=changes)

    d = base.detection
    out = {f"default ({' AND '.join(d.detectors)}, {d.pyod.model} p>={d.pyod.threshold:g})": base,
           "spike": detection(detectors=["spike"]),
           "spike, no seasonality": detection(
               detectors=["spike"], seasonality=d.seasonality.model_copy(update={"enabled": False})),
           "spike, 1-window only": base.model_copy(update={
               "rule": base.rule.model_copy(update={"span_windows": 1}),
               "detection": d.model_copy(update={"detectors": ["spike"]})})}
    for model in models:
        if (model, "all") != (d.pyod.model, d.combine) or d.detectors != ["spike", "pyod"]:
            out[f"spike AND {model}"] = detection(detectors=["spike", "pyod"], combine="all", pyod=pyod(model=model))
    out[f"spike AND {d.pyod.model} trained on flagged, p>=0.99"] = detection(
        detectors=["spike", "pyod"], combine="all", pyod=pyod(train_on_flagged=True, threshold=0.99))
    for model in pyod_only:
        out[f"{model} only, p>={alone_threshold:g}"] = detection(
            detectors=["pyod"], combine="any", pyod=pyod(model=model, threshold=alone_threshold))
    return out


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=8, help="simulated days per series (the first one learns)")
    parser.add_argument("--reps", type=int, default=2, help="spikes of each size and length per series")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--models", default="ecod,hbos,copod",
                        help="PyOD models for 'spike AND model' (iforest: +2 minutes, its fits are slow)")
    parser.add_argument("--pyod-only", default="hbos",
                        help="models also run alone, scoring every window (ecod, copod, iforest: minutes each)")
    parser.add_argument("--full", action="store_true", help="every model, in both roles")
    parser.add_argument("--pyod-threshold", type=float, default=None, help="override pyod.threshold")
    parser.add_argument("--alone-threshold", type=float, default=0.999,
                        help="pyod.threshold for the models run alone (they have no spike rule to confirm)")
    parser.add_argument("--only", default="", help="run just these modes (labels separated by ;)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    every = ["ecod", "iforest", "hbos", "copod"]
    models = every if args.full else [m for m in args.models.split(",") if m]
    pyod_only = every if args.full else [m for m in args.pyod_only.split(",") if m]

    started = time.perf_counter()
    print(f"machine: {machine()}")
    data = [generate(spec, i, args.days, args.reps, args.seed) for i, spec in enumerate(SERIES)]
    n_windows = args.days * PER_DAY
    print(f"{len(SERIES)} series x {args.days} days x {PER_DAY} windows; {sum(len(s) for _, s in data)} spikes "
          f"(sizes {', '.join(f'{s:g}x' for s in SIZES)}, lengths {', '.join(map(str, LENGTHS))}); "
          f"seed {args.seed}; generated in {time.perf_counter() - started:.1f}s\n")
    selected = modes(pyod_only, models, args.pyod_threshold, args.alone_threshold)
    if args.only:
        selected = {k: v for k, v in selected.items() if k in args.only.split(";")}
    results = {}
    for label, config in selected.items():
        t = time.perf_counter()
        outcomes, false = [], {}
        for i, (windows, spikes) in enumerate(data):
            o, f = score_series(run_mode(config, windows), spikes)
            outcomes += o
            false[i] = f
        spike_windows = {i: sum(s.length + TAIL for s in spikes) for i, (_, spikes) in enumerate(data)}
        summary = summarise(outcomes, false, n_windows, list(SERIES), spike_windows)
        summary["seconds"] = round(time.perf_counter() - t, 1)
        summary["config"] = config.model_dump(include={"rule", "detection"}, mode="json")
        results[label] = summary
        print_mode(label, summary)
    print_comparison(results, list(SERIES))
    elapsed = time.perf_counter() - started
    print(f"total runtime {elapsed:.0f}s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), "days": args.days, "reps": args.reps, "seed": args.seed,
                                    "series": [asdict(s) for s in SERIES], "runtime_s": round(elapsed, 1),
                                    "modes": results}, indent=1))
    print(f"wrote {args.out}")
    return 0


def print_comparison(results: dict[str, dict], specs: list[SeriesSpec]) -> None:
    """One line per mode: the targets, then the series outside them."""
    low = next(f"{s.app}/{s.category}" for s in specs if s.low_volume)
    bursts = next(f"{s.app}/{s.category}" for s in specs if s.bursts)
    print("| mode | >=3x,>=2w within 2 | false alerts (target series) | worst series /week | first-day alerts "
          "| low volume: recall / false per week | random bursts: alerts per week | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for label, m in results.items():
        t, rows = m["targets"], m["series"]
        target = [v for v in rows.values() if v["in_target"]]
        print(f"| {label} | {t['spikes_3x_2w'] - t['missed_within_2']}/{t['spikes_3x_2w']} "
              f"| {sum(v['false_alerts'] for v in target)} | {t['worst_series_false_per_week']:.2f} "
              f"| {sum(v['first_day_false_alerts'] for v in target)} "
              f"| {rows[low]['recall_3x_2w_within_2']:.2f} / {rows[low]['per_week']:.1f} "
              f"| {rows[bursts]['per_week']:.1f} | {m['seconds']} |")
    print()


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_mode(label: str, s: dict) -> None:
    t = s["targets"]
    verdict = "MET" if t["met"] else "not met"
    print(f"== {label}  ({s['seconds']}s)  targets {verdict}: {t['spikes_3x_2w'] - t['missed_within_2']}/"
          f"{t['spikes_3x_2w']} spikes >=3x,>=2w within 2 windows; worst series "
          f"{t['worst_series_false_per_week']:.2f} false alerts/week")
    print("  size x len | spikes  recall  within2  delay(mean/max)")
    for key, row in s["by_spike"].items():
        print(f"  {key:>10} | {row['spikes']:6d}  {_fmt(row['recall'], '6.2f')}  {_fmt(row['recall_within_2'], '7.2f')}"
              f"  {_fmt(row['mean_delay'], '.2f')}/{_fmt(row['max_delay'], 'd')}")
    print("  per series: false alerts after the learning day (count, per day, per week) [first day]; "
          "recall of >=3x,>=2w spikes within 2 windows")
    for name, row in s["series"].items():
        note = f"  ({row['note']}, not in target)" if row["note"] else ""
        print(f"    {name:<28} {row['false_alerts']:4d}  {row['per_day']:6.2f}  {row['per_week']:6.2f}"
              f"  [{row['first_day_false_alerts']}]  {row['recall_3x_2w_within_2']:.2f}{note}")
    if t["missed"]:
        print("  missed (>=3x, >=2 windows): " + "; ".join(
            f"series {m['series']} at {m['start']} {m['size']:g}x{m['length']} delay {m['delay']} "
            f"(normal {m['expected_normal']:.1f}/window)" for m in t["missed"][:8]))
    print()


if __name__ == "__main__":
    raise SystemExit(main())
