"""Active-learning query strategies: a registry of scoring functions over model outputs.

Every strategy maps the model outputs of a list of sentences to one score per sentence; a higher
score means "label this sooner". Confidence-based strategies (small-text's
``ConfidenceBasedQueryStrategy`` idea) only write a per-word score and say how the words of a
sentence are combined; the base class flattens the ragged per-sentence arrays into one
``(total_words, n_tags)`` array so every strategy is a handful of vectorised numpy calls.

Register a new strategy with::

    @register("name")
    class MyStrategy(ConfidenceStrategy):
        reduce = "mean"
        def word_scores(self, probs): ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import numpy as np

from engine.errors import ValidationError

DEFAULT_STRATEGY = "mnlp"
_EPS = 1e-12


@dataclass(frozen=True)
class Head:
    """The token-classification head: ``logits = hidden @ weight.T + bias``.

    ``dropout`` is the probability the model applied to the hidden features before the head
    during training (BERT's ``classifier_dropout`` or ``hidden_dropout_prob``).
    """

    weight: np.ndarray  # (n_tags, hidden)
    bias: np.ndarray  # (n_tags,)
    dropout: float = 0.1


@dataclass(frozen=True)
class ModelOutputs:
    """What a model said about a list of sentences, one entry per sentence.

    ``probs[i]`` is ``(n_words_i, n_tags)`` word-level tag probabilities (first sub-token of each
    word); ``hidden[i]`` the matching ``(n_words_i, hidden)`` final hidden states, needed only by
    strategies with ``needs_hidden``; ``head`` the classifier weights for those strategies.
    """

    probs: Sequence[np.ndarray]
    hidden: Sequence[np.ndarray] | None = None
    head: Head | None = None

    def __len__(self) -> int:
        return len(self.probs)


class Strategy:
    """A query strategy: ``score(outputs, rng)`` → ``(n_sentences,)``, higher = label sooner."""

    name: ClassVar[str] = ""
    needs_hidden: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def page_scorer(
        self, total: int, rng: np.random.Generator, head: Head | None = None
    ) -> PageScorer:
        """A scorer for a pool of ``total`` sentences that arrives page by page:
        ``scorer(outputs, positions)`` scores the page's sentences, ``positions`` being their
        places in the pool.

        The scores equal :meth:`score` on the whole pool for a strategy whose score of a sentence
        depends on that sentence alone and draws nothing from ``rng`` (the default, used by the
        confidence strategies); a strategy that draws from ``rng`` overrides this so it draws
        what :meth:`score` would, once.
        """
        return lambda outputs, positions: self.score(outputs, rng)


# ``(outputs of a page, their positions in the pool) -> scores``: see Strategy.page_scorer.
PageScorer = Callable[[ModelOutputs, np.ndarray], np.ndarray]
_S = TypeVar("_S", bound=type[Strategy])
STRATEGIES: dict[str, type[Strategy]] = {}


def register(name: str) -> Callable[[_S], _S]:
    """Class decorator adding a strategy to :data:`STRATEGIES` under ``name``."""

    def add(cls: _S) -> _S:
        cls.name = name
        STRATEGIES[name] = cls
        return cls

    return add


def get_strategy(name: str | None) -> Strategy:
    """A fresh instance of the strategy registered as ``name`` (the default for None)."""
    key = name or DEFAULT_STRATEGY
    try:
        return STRATEGIES[key]()
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise ValidationError(
            f"unknown strategy {key!r} (known: {known})", field="strategy"
        ) from None


def strategy_names() -> list[str]:
    return sorted(STRATEGIES)


# ---- ragged helpers ------------------------------------------------------------------------------


def flatten(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-sentence ``(n_i, k)`` arrays; returns ``(flat, lengths)``."""
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    if lengths.sum() == 0:
        width = arrays[0].shape[1] if len(arrays) and arrays[0].ndim == 2 else 0
        return np.zeros((0, width), dtype=np.float64), lengths
    return np.concatenate([np.asarray(a, dtype=np.float64) for a in arrays if len(a)]), lengths


_REDUCERS: dict[str, np.ufunc] = {"sum": np.add, "max": np.maximum, "min": np.minimum}


def reduce_words(
    values: np.ndarray, lengths: np.ndarray, how: str, empty: float = 0.0
) -> np.ndarray:
    """Per-sentence sum/mean/max/min of flat per-word ``values``; ``empty`` for 0-word sentences."""
    out = np.full(len(lengths), empty, dtype=np.float64)
    nonempty = lengths > 0
    if not nonempty.any():
        return out
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nonempty]
    ufunc = _REDUCERS["sum" if how == "mean" else how]
    reduced = ufunc.reduceat(values, starts)
    if how == "mean":
        reduced = reduced / lengths[nonempty]
    out[nonempty] = reduced
    return out


def entropy(probs: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy (nats) along ``axis``; 0·log 0 counts as 0."""
    p = np.clip(probs, _EPS, 1.0)
    return np.asarray(-(probs * np.log(p)).sum(axis=axis))


# ---- strategies -------------------------------------------------------------------------------


@register("random")
class RandomStrategy(Strategy):
    """Uniform random order: the baseline every other strategy must beat."""

    description = "random order (baseline)"

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return rng.random(len(outputs))

    def page_scorer(
        self, total: int, rng: np.random.Generator, head: Head | None = None
    ) -> PageScorer:
        draws: list[np.ndarray] = []  # drawn at the first page, as score() on the whole pool

        def scorer(outputs: ModelOutputs, positions: np.ndarray) -> np.ndarray:
            if not draws:
                draws.append(rng.random(total))
            return np.asarray(draws[0][np.asarray(positions, dtype=np.int64)])

        return scorer


class ConfidenceStrategy(Strategy):
    """Base for strategies built from one score per word, combined per sentence by ``reduce``.

    Subclasses write :meth:`word_scores` (``(N, n_tags)`` → ``(N,)``) and may override
    :meth:`finish` to transform the reduced value. Sentences without words score 0.
    """

    reduce: ClassVar[str] = "mean"

    def word_scores(self, probs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def finish(self, reduced: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return reduced

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        flat, lengths = flatten(outputs.probs)
        words = self.word_scores(flat) if len(flat) else np.zeros(0)
        out = self.finish(reduce_words(words, lengths, self.reduce), lengths)
        out[lengths == 0] = 0.0
        return out


@register("least_confidence")
class LeastConfidence(ConfidenceStrategy):
    """``1 − P(best sequence)``, the sequence probability approximated by Π max word prob."""

    description = "1 - product of max word probabilities"
    reduce = "sum"

    def word_scores(self, probs: np.ndarray) -> np.ndarray:
        return np.asarray(np.log(np.clip(probs.max(axis=1), _EPS, 1.0)))

    def finish(self, reduced: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 - np.exp(reduced))


@register("margin")
class Margin(ConfidenceStrategy):
    """``1 − smallest (best − second best)`` margin over the words of the sentence."""

    description = "1 - smallest best-vs-second margin"
    reduce = "min"

    def word_scores(self, probs: np.ndarray) -> np.ndarray:
        if probs.shape[1] < 2:
            return np.ones(len(probs))
        top2 = np.partition(probs, -2, axis=1)[:, -2:]
        return top2[:, 1] - top2[:, 0]

    def finish(self, reduced: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return 1.0 - reduced


@register("entropy_mean")
class TokenEntropyMean(ConfidenceStrategy):
    """Mean over words of the tag-distribution entropy."""

    description = "mean word entropy"
    reduce = "mean"

    def word_scores(self, probs: np.ndarray) -> np.ndarray:
        return entropy(probs)


@register("entropy_max")
class TokenEntropyMax(TokenEntropyMean):
    """Largest word entropy in the sentence."""

    description = "max word entropy"
    reduce = "max"


@register("mnlp")
class MNLP(ConfidenceStrategy):
    """Maximum normalised log-probability (Shen et al. 2017), as an uncertainty.

    ``−(1/n) Σ log max p``: the length-normalised negative log-probability of the predicted
    sequence, so long sentences are not favoured just for having more words.
    """

    description = "length-normalised log-probability of the prediction (default)"
    reduce = "mean"

    def word_scores(self, probs: np.ndarray) -> np.ndarray:
        return np.asarray(-np.log(np.clip(probs.max(axis=1), _EPS, 1.0)))
