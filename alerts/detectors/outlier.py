"""PyOD outlier detectors (ECOD, IForest, HBOS, COPOD), fitted per series on its recent windows.

Each series keeps its recent windows as plain numbers (window start, events, violations). Once
``min_history`` windows are known, a model is fitted on the last ``history_windows`` of them, and
refitted when it is ``refit_every`` windows old and a window needs a score (fitting lazily skips the
refits nobody would use: in the default combination only windows the spike rule flags are scored).

A window's features are its event count, the time of day as sin/cos (so the model learns what each
hour looks like), its rate over the median of the 30 windows before it (what "sudden" means) and its
rate over the median rate of its time-of-day slot (``seasonality.slot_s``) in the training windows
(what "unusual for this hour" means).

The raw rate and violation count are left out on purpose: a daily peak makes them extreme every day
at its hour, which marginal models (ECOD, COPOD, HBOS) cannot tie to the hour; the two ratios carry
the same news relative to what is normal then.

The decision is calibrated on the training windows themselves: a window's outlier probability is the
share of training windows that scored lower, and it is anomalous when that reaches ``threshold`` and
its rate is above the recent median (an unusually *low* rate, or a traffic surge at a normal rate, is
an outlier too but no reason to page).

The state is the history and when the model was last fitted, never the model: ``from_dict`` refits on
exactly the windows the live model was fitted on, so a restarted worker judges as the old one would.
"""
from __future__ import annotations

import math
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from alerts.detectors.base import Detector, Verdict
from alerts.windows import WindowStats
from schemas.config import AlertsConfig

#: Windows before a window whose median rate is its "recent normal" (a feature and the direction guard).
CONTEXT_WINDOWS = 30
#: The ratio feature's floor, as the spike rule's baseline floor, so a clean series has finite ratios.
RATIO_FLOOR = 0.01
_DAY_S = 86_400


def _ecod() -> Any:
    from pyod.models.ecod import ECOD
    return ECOD()


def _copod() -> Any:
    from pyod.models.copod import COPOD
    return COPOD()


def _hbos() -> Any:
    from pyod.models.hbos import HBOS
    return HBOS()


def _iforest() -> Any:
    from pyod.models.iforest import IForest
    # Fixed seed: a refit on the same history (after a restart) must give the same model.
    return IForest(n_estimators=100, random_state=0)


#: Registered PyOD models: name -> factory of an unfitted model (imports stay lazy: pyod is slow to load).
PYOD_MODELS: dict[str, Callable[[], Any]] = {"ecod": _ecod, "copod": _copod, "hbos": _hbos, "iforest": _iforest}


def features(starts: np.ndarray, events: np.ndarray, violations: np.ndarray, previous_rates: np.ndarray,
             seasonal_rates: np.ndarray) -> np.ndarray:
    """Feature rows for windows: events, time of day (sin, cos), rate over the median of the windows
    before (``previous_rates``) and over this time of day's median rate (``seasonal_rates``)."""
    events = events.astype(float)
    rate = violations.astype(float) / np.maximum(events, 1.0)
    angle = 2 * math.pi * (starts % _DAY_S) / _DAY_S
    recent_ratio = rate / np.maximum(previous_rates, RATIO_FLOOR)
    seasonal_ratio = rate / np.maximum(seasonal_rates, RATIO_FLOOR)
    return np.column_stack([events, np.sin(angle), np.cos(angle), recent_ratio, seasonal_ratio])


def _rates(events: np.ndarray, violations: np.ndarray) -> np.ndarray:
    return violations.astype(float) / np.maximum(events.astype(float), 1.0)


@dataclass(frozen=True)
class SeasonalProfile:
    """The median rate of each time-of-day slot over the training windows."""

    slot_s: int
    medians: dict[int, float]
    overall: float

    @classmethod
    def of(cls, starts: np.ndarray, rates: np.ndarray, slot_s: int) -> "SeasonalProfile":
        slots = (starts.astype(np.int64) % _DAY_S) // slot_s
        medians = {int(slot): float(np.median(rates[slots == slot])) for slot in np.unique(slots)}
        return cls(slot_s, medians, float(np.median(rates)) if len(rates) else 0.0)

    def expected(self, starts: np.ndarray) -> np.ndarray:
        slots = (starts.astype(np.int64) % _DAY_S) // self.slot_s
        return np.array([self.medians.get(int(slot), self.overall) for slot in slots])


def training_matrix(history: np.ndarray, slot_s: int) -> tuple[np.ndarray, SeasonalProfile]:
    """Feature rows for the history windows (start, events, violations, flagged) that have
    ``CONTEXT_WINDOWS`` windows before them and were not flagged anomalous, and the time-of-day
    profile learned from them."""
    rates = _rates(history[:, 1], history[:, 2])
    previous = np.median(np.lib.stride_tricks.sliding_window_view(rates, CONTEXT_WINDOWS)[:-1], axis=1)
    rows, row_rates = history[CONTEXT_WINDOWS:], rates[CONTEXT_WINDOWS:]
    normal = rows[:, 3] == 0
    # An incident must not teach the model that incidents are normal; with (almost) nothing but
    # flagged windows there is no normal to learn, so keep them all.
    if normal.sum() < CONTEXT_WINDOWS:
        normal[:] = True
    profile = SeasonalProfile.of(rows[normal, 0], row_rates[normal], slot_s)
    X = features(rows[:, 0], rows[:, 1], rows[:, 2], previous, profile.expected(rows[:, 0]))
    return X[normal], profile


@dataclass
class _Series:
    #: (window start epoch seconds, events, violations, flagged 0/1), oldest first. Flagged windows
    #: (judged anomalous by this or another detector) are left out of training.
    history: deque[tuple[int, int, int, int]]
    #: Windows learned since the model was fitted; -1 when never fitted. The model is refitted when a
    #: window needs a score and this has reached ``refit_every``.
    since_fit: int = -1
    model: Any = field(default=None, repr=False)
    #: The training windows' scores, sorted: the calibration of outlier probabilities.
    train_scores: np.ndarray | None = field(default=None, repr=False)
    profile: SeasonalProfile | None = field(default=None, repr=False)


class PyodDetector(Detector[_Series]):
    """A PyOD model per series, chosen by ``alerts.detection.pyod.model``."""

    name = "pyod"
    cheap = False

    def __init__(self, config: AlertsConfig) -> None:
        super().__init__()
        self.settings = config.detection.pyod
        if min(self.settings.min_history, self.settings.history_windows) <= CONTEXT_WINDOWS:
            raise ValueError(f"pyod.min_history and pyod.history_windows must be over {CONTEXT_WINDOWS}")
        self.model_name = self.settings.model
        self.slot_s = config.detection.seasonality.slot_s
        self._factory = PYOD_MODELS[self.model_name]

    @property
    def label(self) -> str:
        """How reasons name it: the model, e.g. ``ecod``."""
        return self.model_name

    def _new_series(self) -> _Series:
        # Keep up to refit_every windows more than the model sees, so the windows of the last fit
        # are still there to refit on after a restart.
        return _Series(deque(maxlen=self.settings.history_windows + self.settings.refit_every))

    def _fit(self, state: _Series, end: int) -> None:
        """Fit on the last ``history_windows`` windows before history index ``end``."""
        rows = list(state.history)[:end]
        window = np.asarray(rows[-self.settings.history_windows:], dtype=float)
        X, state.profile = training_matrix(window, self.slot_s)
        model = self._factory()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant features (a series with no violations) warn
            model.fit(X)
        state.model = model
        state.train_scores = np.sort(np.asarray(model.decision_scores_, dtype=float))

    def _ensure_model(self, state: _Series) -> None:
        """Fit lazily, when a window needs a score: a stale model now, a restored one as it was."""
        if state.since_fit < 0 or state.since_fit >= self.settings.refit_every:
            self._fit(state, len(state.history))
            state.since_fit = 0
        elif state.model is None:
            # Restored from plain data: refit on exactly the windows the lost model saw.
            self._fit(state, len(state.history) - state.since_fit)

    def _probability(self, state: _Series, x: np.ndarray) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = float(state.model.decision_function(x)[0])
        scores = state.train_scores
        return float(np.searchsorted(scores, score, side="left")) / len(scores)

    def _ready(self, state: _Series) -> bool:
        return state.since_fit >= 0 or len(state.history) >= self.settings.min_history

    def _observe(self, state: _Series, stats: WindowStats, judge: bool, flagged: bool) -> Verdict:
        if judge:
            verdict = self._judge(state, stats)
        else:
            verdict = Verdict(self.label, ready=self._ready(state), anomalous=False, score=0.0,
                              reason="not scored")
        flagged = (flagged or verdict.anomalous) and not self.settings.train_on_flagged
        state.history.append((int(stats.window_start.timestamp()), stats.events, stats.violations, int(flagged)))
        if state.since_fit >= 0:
            state.since_fit += 1
        return verdict

    def _judge(self, state: _Series, stats: WindowStats) -> Verdict:
        s = self.settings
        if not self._ready(state):
            return Verdict(self.label, ready=False, anomalous=False, score=0.0,
                           reason=f"learning ({len(state.history)}/{s.min_history} windows)")
        recent = list(state.history)[-CONTEXT_WINDOWS:]
        previous = float(np.median(_rates(np.array([r[1] for r in recent]), np.array([r[2] for r in recent]))))
        if stats.rate <= previous:
            return Verdict(self.label, ready=True, anomalous=False, score=0.0,
                           reason=f"rate {stats.rate:.1%} not above recent median {previous:.1%}")
        self._ensure_model(state)
        starts = np.array([stats.window_start.timestamp()])
        x = features(starts, np.array([stats.events]), np.array([stats.violations]), np.array([previous]),
                     state.profile.expected(starts))
        p = self._probability(state, x)
        hit = p >= s.threshold
        word = "outlier" if hit else "inlier"
        return Verdict(self.label, ready=True, anomalous=hit, score=p,
                       reason=f"{self.label.upper()} {word} (p={p:.4f}, threshold {s.threshold:g})")

    def _dump(self, state: _Series) -> dict[str, Any]:
        h = state.history
        return {"model": self.model_name, "since_fit": state.since_fit,
                "starts": [r[0] for r in h], "events": [r[1] for r in h], "violations": [r[2] for r in h],
                "flagged": [i for i, r in enumerate(h) if r[3]]}

    def _load(self, data: dict[str, Any]) -> _Series:
        state = self._new_series()
        flagged = {int(i) for i in data.get("flagged", ())}
        rows = zip(data["starts"], data["events"], data["violations"])
        state.history.extend((int(start), int(events), int(violations), int(i in flagged))
                             for i, (start, events, violations) in enumerate(rows))
        state.since_fit = int(data["since_fit"])
        if data.get("model") != self.model_name or state.since_fit >= len(state.history):
            # Another model (config changed) or a trimmed history: refit on all of it when next needed.
            state.since_fit = -1
        return state
