"""Bootstrap intervals of entity F1: consistent with seqeval, seeded, honest about size."""

from __future__ import annotations

import random

import pytest

from engine.training.bootstrap import describe, f1_intervals, sentence_counts
from engine.training.evaluate import entity_metrics


def _data(n: int, miss_every: int, seed: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        g = ["B-PER", "I-PER", "O", "B-LOC"] if rng.random() < 0.5 else ["O", "B-ORG", "O"]
        p = list(g)
        if i % miss_every == 0:
            p = ["O"] * len(g)
        gold.append(g)
        pred.append(p)
    return gold, pred


def test_summed_counts_give_seqeval_f1() -> None:
    gold, pred = _data(50, 3)
    pred[4] = ["B-PER", "O", "O", "B-ORG"][: len(pred[4])]
    counts = sentence_counts(gold, pred, ["PER", "LOC", "ORG"]).sum(axis=(0, 1))
    tp, fp, fn = (int(x) for x in counts)
    m = entity_metrics(gold, pred, ["PER", "LOC", "ORG"], "t")
    assert 2 * tp / (2 * tp + fp + fn) == pytest.approx(m["f1"])


def test_interval_holds_the_estimate_is_seeded_and_shrinks_with_data() -> None:
    small = entity_metrics(*_data(40, 4), ["PER", "LOC", "ORG"], "t")
    big = entity_metrics(*_data(1000, 4), ["PER", "LOC", "ORG"], "t")
    for m in (small, big):
        lo, hi = m["f1_ci"]
        assert lo <= m["f1"] <= hi and lo < hi
        for row in m["per_label"].values():
            assert row["f1_ci"] is None or row["f1_ci"][0] <= row["f1"] <= row["f1_ci"][1]
    assert big["f1_ci"][1] - big["f1_ci"][0] < small["f1_ci"][1] - small["f1_ci"][0]
    assert f1_intervals(*_data(40, 4), ["PER"]) == f1_intervals(*_data(40, 4), ["PER"])
    assert f1_intervals(*_data(40, 4), ["PER"], seed=1) != f1_intervals(*_data(40, 4), ["PER"])


def test_label_without_entities_has_no_interval() -> None:
    ci = f1_intervals([["B-PER"]], [["B-PER"]], ["PER", "LOC"])
    assert ci["per_label"] == {"PER": [1.0, 1.0], "LOC": None}
    assert f1_intervals([], [], ["PER"]) == {"f1": None, "per_label": {}}


def test_describe_says_what_was_held_out() -> None:
    m = {
        "f1": 0.714,
        "f1_ci": [0.641, 0.772],
        "sentences": 45,
        "documents": 3,
        "groups": 3,
        "split": "documents",
    }
    assert describe(m) == "0.71 (0.64\u20130.77) on 45 sentences from 3 documents"
    m.update(documents=1, groups=3, split="blocks")
    assert describe(m) == "0.71 (0.64\u20130.77) on 45 sentences in 3 blocks of 1 document"
    assert describe({"f1": 0.5, "sentences": 1}) == "0.50 on 1 sentence"
    assert describe({"f1": None}) == "no held-out score yet"
