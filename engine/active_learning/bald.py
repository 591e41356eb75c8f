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


def mc_dropout_probs(hidden: np.ndarray, head: Head, samples: int,
                     rng: np.random.Generator) -> np.ndarray:
    """``(T, N, n_tags)`` tag probabilities under ``T`` inverted-dropout masks on ``hidden``.

    Sample ``t`` uses one mask ``m_t`` over the hidden features for every word, so
    ``(h ⊙ m_t) W^T = h (W ⊙ m_t)^T``: one GEMM against the ``T`` masked heads instead of masking
    ``T × N × hidden`` values. Each word still sees ``T`` independent masks, so its mutual
    information is estimated exactly as with per-word masks (only words of one pass share the
    mask). With ``head.dropout == 0`` every mask keeps everything: one pass is exact, ``T = 1``.
    """
    p = float(head.dropout)
    if not 0.0 <= p < 1.0:
        raise ValidationError(f"dropout must be in [0, 1), got {p}", field="dropout")
    weight = np.asarray(head.weight, dtype=np.float32)
    bias = np.asarray(head.bias, dtype=np.float32)
    h = np.asarray(hidden, dtype=np.float32)
    if p == 0.0:
        return _softmax((h @ weight.T + bias).astype(np.float64))[None]
    keep = 1.0 - p
    tags, width = weight.shape
    masks = rng.random((samples, width), dtype=np.float32) < keep
    heads = (weight[None] * masks[:, None, :] / np.float32(keep)).reshape(samples * tags, width)
    out = np.empty((samples, len(h), tags), dtype=np.float64)
    step = max(1, _CHUNK_VALUES // max(1, samples * tags))
    for lo in range(0, len(h), step):
        logits = (h[lo:lo + step] @ heads.T).reshape(-1, samples, tags) + bias
        out[:, lo:lo + step] = _softmax(logits.astype(np.float64)).transpose(1, 0, 2)
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
            raise ValidationError("BALD needs hidden states and the classifier head",
                                  field="strategy")
        flat, lengths = flatten(outputs.hidden)
        if len(flat) == 0:
            return np.zeros(len(lengths))
        mi = word_mutual_information(mc_dropout_probs(flat, outputs.head, self.samples, rng))
        return reduce_words(mi, lengths, "mean")
