"""PII detection and masking: pattern recognizers with validation, a batch detector, maskers.

Typical use in a worker::

    detector = PiiDetector(threshold=0.5).load()
    found = detector.detect(texts)                      # list per text
    masked = [mask_text(t, f) for t, f in zip(texts, found)]
"""
from classifiers.pii.detector import PiiDetector, resolve_overlaps
from classifiers.pii.masking import OPERATORS, mask_json, mask_text, mask_untrusted
from classifiers.pii.recognizers import RECOGNIZERS, SUPPORTED_ENTITIES, get_recognizer

__all__ = [
    "OPERATORS",
    "PiiDetector",
    "RECOGNIZERS",
    "SUPPORTED_ENTITIES",
    "get_recognizer",
    "mask_json",
    "mask_text",
    "mask_untrusted",
    "resolve_overlaps",
]
