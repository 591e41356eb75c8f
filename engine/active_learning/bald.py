"""BALD with Monte-Carlo dropout on the classification head only (Shelmanov et al. 2021).

Running the whole encoder T times is too slow on a CPU; dropout on the final hidden features
before the (linear) head is cheap in numpy: ``T`` dropout masks over the first-sub-token hidden
states, ``T`` softmaxes, and the mutual information between the tag and the dropout mask
(``H[mean_t p_t] − mean_t H[p_t]``), averaged over the words of a sentence. The dropout rate is
the model's own (``classifier_dropout`` or ``hidden_dropout_prob``, 0.1 for MiniLM).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.active_learning.strategies import (
    Head,
    ModelOutputs,
    PageScorer,
    Strategy,
    entropy,
    flatten,
    reduce_words,
    register,
)
from engine.errors import ValidationError

# Logits are computed for at most this many (word × sample × tag) values at a time.
_CHUNK_VALUES = 4_000_000


def _softmax(logits: np.ndarray) -> np.ndarray:
    x: np.ndarray = logits - logits.max(axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)
    return x


def mc_dropout_probs(
    hidden: np.ndarray, head: Head, samples: int, rng: np.random.Generator
) -> np.ndarray:
    """``(T, N, n_tags)`` tag probabilities under ``T`` inverted-dropout masks on ``hidden``.

    Sample ``t`` uses one mask ``m_t`` over the hidden features for every word, so
    ``(h ⊙ m_t) W^T = h (W ⊙ m_t)^T``: one GEMM against the ``T`` masked heads instead of masking
    ``T × N × hidden`` values. Each word still sees ``T`` independent masks, so its mutual
    information is estimated exactly as with per-word masks (only words of one pass share the
    mask). With ``head.dropout == 0`` every mask keeps everything: one pass is exact, ``T = 1``.
    """
    return masked_probs(hidden, head, dropout_masks(head, samples, rng))


def dropout_masks(head: Head, samples: int, rng: np.random.Generator) -> np.ndarray | None:
    """The ``(T, hidden)`` keep-masks of :func:`mc_dropout_probs` (None when dropout is 0)."""
    p = float(head.dropout)
    if not 0.0 <= p < 1.0:
        raise ValidationError(f"dropout must be in [0, 1), got {p}", field="dropout")
    if p == 0.0:
        return None
    width = np.asarray(head.weight).shape[1]
    return np.asarray(rng.random((samples, width), dtype=np.float32) < 1.0 - p)


def masked_probs(hidden: np.ndarray, head: Head, masks: np.ndarray | None) -> np.ndarray:
    """``(T, N, n_tags)`` probabilities under the given masks (one pass without masks)."""
    weight = np.asarray(head.weight, dtype=np.float32)
    bias = np.asarray(head.bias, dtype=np.float32)
    h = np.asarray(hidden, dtype=np.float32)
    if masks is None:
        return _softmax((h @ weight.T + bias).astype(np.float64))[None]
    keep = 1.0 - float(head.dropout)
    tags, width = weight.shape
    samples = len(masks)
    heads = (weight[None] * masks[:, None, :] / np.float32(keep)).reshape(samples * tags, width)
    out = np.empty((samples, len(h), tags), dtype=np.float64)
    step = max(1, _CHUNK_VALUES // max(1, samples * tags))
    for lo in range(0, len(h), step):
        logits = (h[lo : lo + step] @ heads.T).reshape(-1, samples, tags) + bias
        out[:, lo : lo + step] = _softmax(logits.astype(np.float64)).transpose(1, 0, 2)
    return out


def word_mutual_information(sample_probs: np.ndarray) -> np.ndarray:
    """Per-word BALD score ``H[mean_t p_t] − mean_t H[p_t]`` of ``(T, N, K)`` probabilities."""
    mean = sample_probs.mean(axis=0)
    mi = entropy(mean) - entropy(sample_probs).mean(axis=0)
    return np.asarray(np.maximum(mi, 0.0))


@register("bald")
class BALD(Strategy):
    """Mutual information between tags and head-dropout masks, averaged over words."""

    description = "BALD, MC dropout on the classifier head"
    needs_hidden = True
    samples: ClassVar[int] = 10

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        if outputs.hidden is None or outputs.head is None:
            raise ValidationError(
                "BALD needs hidden states and the classifier head", field="strategy"
            )
        flat, lengths = flatten(outputs.hidden)
        if len(flat) == 0:
            return np.zeros(len(lengths))
        mi = word_mutual_information(mc_dropout_probs(flat, outputs.head, self.samples, rng))
        return reduce_words(mi, lengths, "mean")

    def page_scorer(
        self, total: int, rng: np.random.Generator, head: Head | None = None
    ) -> PageScorer:
        """Page by page with the masks :meth:`score` would draw, drawn once at the first page
        that has words. Equal to :meth:`score` on the whole pool up to float rounding (the
        head's matrix products run on pages instead of the whole pool)."""
        masks: list[np.ndarray | None] = []

        def scorer(outputs: ModelOutputs, positions: np.ndarray) -> np.ndarray:
            if outputs.hidden is None or outputs.head is None:
                raise ValidationError(
                    "BALD needs hidden states and the classifier head", field="strategy"
                )
            flat, lengths = flatten(outputs.hidden)
            if len(flat) == 0:
                return np.zeros(len(lengths))
            if not masks:
                masks.append(dropout_masks(outputs.head, self.samples, rng))
            mi = word_mutual_information(masked_probs(flat, outputs.head, masks[0]))
            return reduce_words(mi, lengths, "mean")

        return scorer
