"""The PERSON / LOCATION head over the Rampart tagger's hidden states: tags, weights, inference.

Trained by :mod:`classifiers.pii.train_ner_head`; read by :mod:`classifiers.pii.ner`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from classifiers.pii.tags import load_tag_weights

#: Where the trained weights live (float16 npz: w1, b1, w2, b2, layers, tags).
HEAD_PATH = Path(__file__).resolve().parent / "weights" / "rampart_ner_head.npz"
#: The types the head decides (its BIO tags are classifiers.pii.tags.TAGS).
HEAD_ENTITIES = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})
#: What the head is used for (chosen on development splits, docs/pii.md): places replace Rampart's
#: city/state labels; its person spans are added next to Rampart's (overlaps go to the higher score);
#: its organisation spans were too imprecise to use.
HEAD_REPORTS = frozenset({"PERSON", "LOCATION"})
HEAD_REPLACES = frozenset({"LOCATION"})


def load_head(path: str) -> dict[str, Any]:
    """The head's weights (classifiers/pii/weights/rampart_ner_head.npz by default)."""
    return load_tag_weights(HEAD_PATH if path == "default" else path,
                            missing="train it with `python -m classifiers.pii.train_ner_head`, or run without the head")


def head_probs(head: dict[str, Any], feats: Any) -> Any:
    """Tag probabilities of the head for hidden-state features ``[batch, tokens, dims]``."""
    import numpy as np
    from scipy.special import erf

    h = feats @ head["w1"] + head["b1"]
    h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))  # exact GELU, as torch.nn.GELU() in training
    logits = h @ head["w2"] + head["b2"]
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
