"""The alert that the spike rule raises and every notifier sends."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from alerts.windows import WindowStats

Severity = Literal["critical", "warning"]


def fingerprint(app: str, model: str, category: str) -> str:
    """A stable id for a series: the same in every process and release (unlike ``hash()``).

    It leaves the window out on purpose, so receivers that dedup on it (PagerDuty's ``dedup_key``)
    fold repeated alerts for one series into one incident.
    """
    # A separator that cannot occur in names (they exclude control characters) keeps
    # ("a b", "c") and ("a", "b c") apart.
    raw = "\x1f".join(("guardstream.spike", app, model, category))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


class Alert(BaseModel):
    """A firing violation-rate spike for one (app, model, category) series."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: str
    app: str
    model: str
    category: str
    window_start: datetime
    window_end: datetime
    rate: float = Field(ge=0.0, le=1.0)
    #: The baseline the window was judged against (the median of recent rates, floored).
    baseline: float = Field(gt=0.0)
    factor_over_baseline: float
    violations: int = Field(ge=0)
    events: int = Field(ge=0)
    severity: Severity
    summary: str
    #: Up to three texts that violated, already PII-masked.
    examples: list[str] = Field(default_factory=list)
    status: Literal["firing"] = "firing"

    @classmethod
    def from_window(cls, stats: WindowStats, *, baseline: float, rule_factor: float) -> "Alert":
        """Build the alert for a spiking window; ``rule_factor`` is the rule's spike factor.

        Severity is ``critical`` when the rate is at least twice the factor over baseline.
        """
        ratio = stats.rate / baseline
        # The tolerance keeps exactly 2x the factor critical despite float error (0.30 / 0.05 < 6).
        severity: Severity = "critical" if ratio >= 2 * rule_factor - 1e-9 else "warning"
        summary = (
            f"{stats.category} spike in {stats.app} / {stats.model}: {stats.rate:.1%} of events "
            f"({stats.violations}/{stats.events}) vs baseline {baseline:.1%} ({ratio:.1f}x) "
            f"in window {stats.window_start:%Y-%m-%d %H:%M}-{stats.window_end:%H:%M} UTC"
        )
        return cls(
            fingerprint=fingerprint(stats.app, stats.model, stats.category),
            app=stats.app, model=stats.model, category=stats.category,
            window_start=stats.window_start, window_end=stats.window_end,
            rate=stats.rate, baseline=baseline, factor_over_baseline=round(ratio, 3),
            violations=stats.violations, events=stats.events, severity=severity,
            summary=summary, examples=list(stats.examples),
        )


def _rison_string(value: str) -> str:
    # Kibana keeps its URL state in rison: strings in single quotes, ! escapes ' and !.
    return "'" + value.replace("!", "!!").replace("'", "!'") + "'"


def _kql_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kibana_discover_url(kibana_url: str, alert: Alert) -> str:
    """A Kibana Discover link showing the alert's series and window (default data view)."""
    query = (f"app:{_kql_quoted(alert.app)} and model:{_kql_quoted(alert.model)} "
             f"and violations:{_kql_quoted(alert.category)}")
    start = alert.window_start.isoformat().replace("+00:00", "Z")
    end = alert.window_end.isoformat().replace("+00:00", "Z")
    g = f"(time:(from:{_rison_string(start)},to:{_rison_string(end)}))"
    a = f"(query:(language:kuery,query:{_rison_string(query)}))"
    safe = "():,'!*"
    return f"{kibana_url.rstrip('/')}/app/discover#/?_g={quote(g, safe=safe)}&_a={quote(a, safe=safe)}"
