"""Classifiers: encoder + heads (toxicity and its sub-labels, bias), training and evaluation.

Imports here are light; torch and the model weights are loaded by each classifier's ``load()``.
"""

from __future__ import annotations

from typing import Any

#: name -> "module:Class"; resolved lazily so importing the package does not import torch.
CLASSIFIERS: dict[str, str] = {
    "minilm-l6-heads": "classifiers.text:TextClassifier",
    "hf-sequence": "classifiers.hf:HfSequenceClassifier",
}


def classifier_class(name: str) -> type:
    """The class registered under ``name``; an unknown name fails with the list of valid ones."""
    try:
        target = CLASSIFIERS[name]
    except KeyError:
        valid = ", ".join(sorted(CLASSIFIERS))
        raise KeyError(f"unknown classifier {name!r}; valid names: {valid}") from None
    import importlib

    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def create_classifier(name: str, **options: Any) -> Any:
    """Instantiate (without loading) the classifier registered under ``name``."""
    return classifier_class(name)(**options)


__all__ = ["CLASSIFIERS", "classifier_class", "create_classifier"]
