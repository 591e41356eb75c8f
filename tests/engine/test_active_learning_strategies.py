"""Query strategies, BALD and batch diversity on hand-made arrays (no model, no store)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.active_learning import STRATEGIES, Head, ModelOutputs, get_strategy
from engine.active_learning.bald import mc_dropout_probs, word_mutual_information
from engine.active_learning.diversity import diverse_order, greedy_diverse, representatives
from engine.active_learning.strategies import reduce_words
from engine.errors import ValidationError

RNG = np.random.default_rng(0)


def _probs(*rows: list[float]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64)


# Three sentences over 3 tags: confident, one unsure word, uniformly unsure.
CONFIDENT = _probs([0.98, 0.01, 0.01], [0.97, 0.02, 0.01], [0.99, 0.005, 0.005])
ONE_UNSURE = _probs([0.98, 0.01, 0.01], [0.5, 0.45, 0.05], [0.99, 0.005, 0.005])
ALL_UNSURE = _probs([0.4, 0.35, 0.25], [0.45, 0.3, 0.25], [0.5, 0.3, 0.2])
OUTPUTS = ModelOutputs([CONFIDENT, ONE_UNSURE, ALL_UNSURE])


def _order(name: str, outputs: ModelOutputs = OUTPUTS) -> list[int]:
    scores = get_strategy(name).score(outputs, np.random.default_rng(0))
    return [int(i) for i in np.argsort(-scores, kind="stable")]


@pytest.mark.parametrize("name", ["least_confidence", "mnlp", "entropy_mean", "entropy_max"])
def test_confidence_strategies_rank_unsure_first(name: str) -> None:
    assert _order(name) == [2, 1, 0]


def test_margin_uses_the_smallest_word_margin() -> None:
    # ONE_UNSURE has the smallest single margin (0.05) although ALL_UNSURE is unsure everywhere
    assert _order("margin") == [1, 2, 0]


def test_least_confidence_is_one_minus_product_of_max_probs() -> None:
    scores = get_strategy("least_confidence").score(OUTPUTS, RNG)
    assert scores[2] == pytest.approx(1 - 0.5 * 0.45 * 0.4)


def test_mnlp_normalises_by_length() -> None:
    short = _probs([0.6, 0.4])
    long = np.repeat(short, 10, axis=0)
    s = get_strategy("mnlp").score(ModelOutputs([short, long]), RNG)
    assert s[0] == pytest.approx(s[1]) and s[0] == pytest.approx(-np.log(0.6))
    lc = get_strategy("least_confidence").score(ModelOutputs([short, long]), RNG)
    assert lc[1] > lc[0]  # the unnormalised score prefers the long sentence


def test_entropy_max_vs_mean() -> None:
    peak = _probs([1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3])
    flat = _probs([0.6, 0.2, 0.2], [0.6, 0.2, 0.2], [0.6, 0.2, 0.2], [0.6, 0.2, 0.2])
    out = ModelOutputs([peak, flat])
    assert _order("entropy_max", out) == [0, 1]
    assert _order("entropy_mean", out) == [1, 0]


def test_empty_sentences_score_zero() -> None:
    out = ModelOutputs([np.zeros((0, 3)), ALL_UNSURE, np.zeros((0, 3))])
    for name in STRATEGIES:
        if name in ("random", "bald"):
            continue
        s = get_strategy(name).score(out, RNG)
        assert s[0] == 0 and s[2] == 0 and s[1] > 0, name


def test_reduce_words_handles_empty_and_mean() -> None:
    vals = np.array([1.0, 3.0, 5.0])
    lengths = np.array([0, 2, 0, 1])
    assert reduce_words(vals, lengths, "mean", empty=-1).tolist() == [-1, 2, -1, 5]
    assert reduce_words(vals, lengths, "max").tolist() == [0, 3, 0, 5]


def test_unknown_strategy_names_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="mnlp"):
        get_strategy("nope")


def test_random_is_seeded() -> None:
    a = get_strategy("random").score(OUTPUTS, np.random.default_rng(3))
    b = get_strategy("random").score(OUTPUTS, np.random.default_rng(3))
    assert np.array_equal(a, b)


# ---- BALD ----------------------------------------------------------------------------------------


def _head(p: float, tags: int = 5, width: int = 16, seed: int = 1) -> Head:
    g = np.random.default_rng(seed)
    return Head(g.normal(size=(tags, width)), g.normal(size=tags), p)


def _hidden(lengths: list[int], width: int = 16, seed: int = 2) -> list[np.ndarray]:
    g = np.random.default_rng(seed)
    return [g.normal(size=(n, width)) for n in lengths]


def test_bald_without_dropout_has_exactly_zero_disagreement() -> None:
    hidden = _hidden([4, 1, 7])
    probs = [np.full((len(h), 5), 0.2) for h in hidden]
    scores = get_strategy("bald").score(ModelOutputs(probs, hidden, _head(0.0)), RNG)
    assert scores.tolist() == [0.0, 0.0, 0.0]
    mc = mc_dropout_probs(np.concatenate(hidden), _head(0.0), 10, RNG)
    assert np.all(word_mutual_information(mc) == 0.0)


def test_bald_with_dropout_disagrees_and_is_seeded() -> None:
    hidden = _hidden([4, 3])
    probs = [np.full((len(h), 5), 0.2) for h in hidden]
    out = ModelOutputs(probs, hidden, _head(0.1))
    a = get_strategy("bald").score(out, np.random.default_rng(5))
    b = get_strategy("bald").score(out, np.random.default_rng(5))
    assert np.all(a > 0) and np.array_equal(a, b)


def test_bald_mutual_information_of_confident_agreement_is_small() -> None:
    agree = np.tile(np.array([[[0.98, 0.01, 0.01]]]), (8, 1, 1))
    split = np.concatenate(
        [np.tile([[[0.98, 0.01, 0.01]]], (4, 1, 1)), np.tile([[[0.01, 0.98, 0.01]]], (4, 1, 1))]
    )
    mi = word_mutual_information(np.concatenate([agree, split], axis=1))
    assert mi[0] == pytest.approx(0.0, abs=1e-12) and mi[1] > 0.5


def test_bald_mc_probs_match_plain_head_in_expectation() -> None:
    h = _hidden([200])[0]
    head = _head(0.1)
    mc = mc_dropout_probs(h, head, 200, np.random.default_rng(0)).mean(axis=0)
    plain = mc_dropout_probs(h, Head(head.weight, head.bias, 0.0), 1, RNG)[0]
    assert np.abs(mc - plain).mean() < 0.05


def test_bald_needs_hidden_states() -> None:
    with pytest.raises(ValidationError):
        get_strategy("bald").score(OUTPUTS, RNG)


# ---- diversity ----------------------------------------------------------------------------


def test_exact_duplicates_are_not_picked_together() -> None:
    g = np.random.default_rng(0)
    distinct = g.normal(size=(20, 8))
    # the five most uncertain sentences are copies of one sentence
    emb = np.concatenate([np.repeat(distinct[:1], 5, axis=0), distinct[1:]])
    scores = np.concatenate([np.full(5, 3.0), g.uniform(0.5, 2.0, size=19)])
    picks = greedy_diverse(scores, emb, 10)
    assert picks[0] in range(5)
    assert sum(int(i) < 5 for i in picks) == 1
    order = diverse_order(scores, emb, k=10)
    assert sorted(order.tolist()) == list(range(24))
    assert sum(int(i) < 5 for i in order[:10]) == 1


def test_diverse_order_without_embeddings_is_score_order() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.9])
    assert diverse_order(scores, None, k=3).tolist() == [1, 3, 2, 0]


def test_diversity_still_prefers_uncertainty_among_distinct_points() -> None:
    emb = np.eye(6)
    scores = np.array([0.1, 0.2, 0.9, 0.3, 0.8, 0.4])
    assert greedy_diverse(scores, emb, 3).tolist() == [2, 4, 5]


def test_representatives_cover_every_cluster() -> None:
    g = np.random.default_rng(0)
    centres = g.normal(size=(6, 16)) * 10
    sizes = [200, 150, 100, 60, 30, 10]
    emb = np.concatenate([c + g.normal(size=(n, 16)) for c, n in zip(centres, sizes, strict=True)])
    cluster = np.repeat(np.arange(6), sizes)
    reps = representatives(emb, 6)
    assert sorted(cluster[reps].tolist()) == list(range(6))
    assert cluster[reps[0]] == 0  # biggest cluster first
