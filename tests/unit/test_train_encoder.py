"""The encoder trainer's targets: one row per text, a target only where its pool has a say."""
from __future__ import annotations

import numpy as np

from classifiers.datasets import Row
from classifiers.train_encoder import multi_label_rows


def test_each_text_gets_the_labels_of_the_pools_it_is_in_and_nan_elsewhere() -> None:
    pools = {
        "toxicity": [Row("you idiot", 1, "davidson", "train"), Row("nice day", 0, "own_identity_neutral", "train"),
                     Row("held out", 1, "davidson", "test")],
        "threat": [Row("you idiot", 0, "toxic_spans", "train"), Row("i will hurt you", 1, "toxic_spans", "train")],
        "bias": [Row("nice day", 0, "own_identity_neutral", "train")],
    }
    texts, y, w = multi_label_rows(pools, ["toxicity", "threat", "bias"], "train", {"own_identity_neutral": 4.0})
    assert texts == ["i will hurt you", "nice day", "you idiot"]  # sorted, one row per text, no test row
    np.testing.assert_array_equal(np.isnan(y), [[True, False, True], [False, True, False], [False, False, True]])
    assert y[0, 1] == 1 and y[2, 0] == 1 and y[2, 1] == 0 and y[1, 0] == 0 and y[1, 2] == 0
    np.testing.assert_array_equal(w, [1.0, 4.0, 1.0])
    empty_texts, empty_y, _ = multi_label_rows(pools, ["toxicity"], "dev", {})
    assert empty_texts == [] and empty_y.shape == (0, 1)
