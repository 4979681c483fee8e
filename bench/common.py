"""Helpers shared by the benchmarks: the machine they ran on, sample texts, tables and JSON output.

Kept free of the pipeline's dependencies (pydantic, faust) so the classifier benchmark also runs on
a bare GPU machine that has only torch, transformers and numpy.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

REPO = Path(__file__).resolve().parents[1]
TRAFFIC = REPO / "samples" / "traffic.jsonl"


def machine() -> dict[str, Any]:
    """CPU model and cores (the ones this process may use), Python and library versions, GPU if any."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info: dict[str, Any] = {"host": platform.node(), "python": platform.python_version(), "cores": cores}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        info["cpu"] = platform.processor() or platform.machine()
    try:
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)  # others' work on a shared machine shows here
    except OSError:
        pass
    for mod in ("torch", "onnxruntime", "transformers"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            pass
    if "torch" in info:
        import torch

        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    return info


def machine_line(info: dict[str, Any]) -> str:
    gpu = f", GPU {info['gpu']}" if info.get("gpu") else ", no GPU"
    return (f"{info.get('cpu', '?')}, {info['cores']} cores{gpu}; Python {info['python']}, "
            f"torch {info.get('torch', '-')}, onnxruntime {info.get('onnxruntime', '-')}; "
            f"load average {info.get('load_avg_1m', '?')} at start")


def classifier_text(record: dict[str, Any], max_chars: int = 20_000) -> str:
    """The text the classifiers read for one event (as pipeline.verdicts.classifier_input builds it)."""
    text = record.get("text") or ""
    tool = record.get("tool")
    if record.get("kind") == "tool_call" and isinstance(tool, dict):
        args = tool.get("arguments")
        args_text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        text = f"{text}\n{tool.get('name')} {args_text}" if text else f"{tool.get('name')} {args_text}"
    return text[:max_chars]


def traffic_records(path: Path = TRAFFIC) -> list[dict[str, Any]]:
    """The valid JSON objects of a JSONL file (the sample holds a few malformed lines on purpose)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        # The sample also holds events the schema rejects on purpose (non-string text, unknown kind).
        if (isinstance(record, dict) and record.get("kind") in ("prompt", "response", "tool_call")
                and isinstance(record.get("text"), (str, type(None)))):
            out.append(record)
    return out


def traffic_texts(path: Path = TRAFFIC) -> list[str]:
    return [classifier_text(r) for r in traffic_records(path)]


def process_cpu_s(pid: int | None) -> float | None:
    """CPU seconds (user + system, all threads) a process has used; None when it is gone."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def percentiles(values: Sequence[float], qs: Iterable[float] = (50, 95, 99)) -> dict[str, float]:
    """{"p50": ..., ...} by linear interpolation; empty input gives NaNs."""
    vals = sorted(values)
    out = {}
    for q in qs:
        if not vals:
            out[f"p{q:g}"] = float("nan")
            continue
        pos = (len(vals) - 1) * q / 100
        lo = int(pos)
        hi = min(lo + 1, len(vals) - 1)
        out[f"p{q:g}"] = vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)
    return out


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(rows: list[dict[str, Any]], columns: Sequence[tuple[str, str]], title: str = "") -> None:
    """Print ``rows`` as a Markdown table; ``columns`` = [(key, header)]. Floats get 3 significant digits+."""
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.0f}" if abs(v) >= 1000 else (f"{v:.1f}" if abs(v) >= 10 else f"{v:.3g}")
        return "-" if v is None else str(v)

    if title:
        print(f"\n{title}")
    cells = [[fmt(r.get(k)) for k, _ in columns] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, (_, h) in enumerate(columns)]
    print("| " + " | ".join(h.ljust(w) for (_, h), w in zip(columns, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cells:
        print("| " + " | ".join(v.rjust(w) for v, w in zip(c, widths)) + " |")
    sys.stdout.flush()


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"\nwrote {path}")


class Progress:
    """One stderr line every few seconds on long runs."""

    def __init__(self, total: int, what: str, every_s: float = 5.0) -> None:
        self.total, self.what, self.every_s = total, what, every_s
        self.done = 0
        self._last = time.monotonic()

    def step(self, n: int = 1, note: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= self.every_s or self.done >= self.total:
            self._last = now
            print(f"  [{self.done}/{self.total}] {self.what} {note}", file=sys.stderr, flush=True)
