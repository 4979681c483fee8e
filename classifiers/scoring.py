"""From a text classifier's per-label scores to category scores and violations.

Shared by the verdict engine (pipeline/verdicts.py) and ``guardstream eval`` so both decide a violation
the same way:

* every label a classifier emits belongs to one category (``scorer.categories``: label -> category;
  the MiniLM heads put severe_toxicity, obscene, threat, insult and identity_attack under toxicity);
* a category's score is its own label (``toxicity``, ``bias``) when the classifier has one, else the
  highest of its labels (e.g. an HF model that only has ``insult`` and ``threat``);
* a category is violated when its score reaches its threshold (configured, else calibrated), or when one
  of the sub-labels listed in ``CategoryConfig.labels`` reaches that label's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from schemas.config import ClassifiersConfig, ConfigError

#: Categories scored by the text classifier (pii comes from the PII detector).
TEXT_CATEGORIES: tuple[str, ...] = ("toxicity", "bias")
DEFAULT_THRESHOLD = 0.5


def label_categories(scorer: Any) -> dict[str, str]:
    """label -> category for a scorer; one that declares none is taken to emit the category labels only."""
    cats = getattr(scorer, "categories", None)
    return dict(cats) if cats else {c: c for c in TEXT_CATEGORIES}


def category_score(scores: Mapping[str, float], category: str, categories: Mapping[str, str]) -> float:
    """The category's own label if present, else the highest score of its labels, else 0."""
    if category in scores:
        return float(scores[category])
    subs = [float(v) for lab, v in scores.items() if categories.get(lab) == category]
    return max(subs, default=0.0)


@dataclass(frozen=True)
class CategoryRule:
    """When one text category is a violation."""

    category: str
    threshold: float
    label_thresholds: dict[str, float] = field(default_factory=dict)

    def violated(self, scores: Mapping[str, float], score: float) -> bool:
        """``score`` is the category score; ``scores`` the per-label ones."""
        return score >= self.threshold or any(
            float(scores.get(lab, 0.0)) >= thr for lab, thr in self.label_thresholds.items()
        )


def category_rules(config: ClassifiersConfig, scorer: Any) -> dict[str, CategoryRule]:
    """Rules of the enabled text categories: configured thresholds win over the calibrated ones.

    A sub-label in ``CategoryConfig.labels`` that the classifier does not emit for that category is a
    ``ConfigError`` naming the labels it does emit.
    """
    trained = dict(scorer.thresholds)
    cats = label_categories(scorer)
    rules = {}
    for name in TEXT_CATEGORIES:
        cfg = getattr(config, name)
        if not cfg.enabled:
            continue
        threshold = cfg.threshold if cfg.threshold is not None else trained.get(name, DEFAULT_THRESHOLD)
        own = sorted(lab for lab, c in cats.items() if c == name and lab != name)
        label_thr = {}
        for lab, thr in cfg.labels.items():
            if lab not in own:
                raise ConfigError(
                    f"classifiers.{name}.labels: {lab!r} is not a {name} label of classifier "
                    f"{getattr(scorer, 'name', '?')}; its {name} labels are: {', '.join(own) or '(none)'}"
                )
            label_thr[lab] = thr if thr is not None else trained.get(lab, DEFAULT_THRESHOLD)
        rules[name] = CategoryRule(name, float(threshold), label_thr)
    return rules


def build_scorer(config: ClassifiersConfig) -> Any:
    """The configured text classifier, not yet loaded (each registered class reads its own settings)."""
    from . import classifier_class

    return classifier_class(config.name).from_config(config)
