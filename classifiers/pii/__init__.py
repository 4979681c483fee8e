"""PII detection and masking: validated patterns, context words and an NER tagger; masking operators.

Typical use in a worker::

    detector = PiiDetector.from_config(config.classifiers.pii).load()   # patterns (+ NER per config)
    policy = MaskPolicy.from_config(config.classifiers.pii)             # operators and secrets
    found = detector.detect(texts)                                      # list per text
    masked = [mask_text(t, f, policy) for t, f in zip(texts, found)]

``PiiDetector()`` without arguments runs the pattern recognizers only (cheap: logs, dead letters).
"""
from classifiers.pii.detector import PiiDetector, resolve_overlaps
from classifiers.pii.masking import OPERATORS, MaskPolicy, mask_json, mask_text, mask_untrusted
from classifiers.pii.registry import RECOGNIZERS, SUPPORTED_ENTITIES, get_recognizer

__all__ = [
    "OPERATORS",
    "MaskPolicy",
    "PiiDetector",
    "RECOGNIZERS",
    "SUPPORTED_ENTITIES",
    "get_recognizer",
    "mask_json",
    "mask_text",
    "mask_untrusted",
    "resolve_overlaps",
]
