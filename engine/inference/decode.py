"""Entity decoding of per-word predictions, shared by the predictor and evaluation (numpy only).

Rule ("first-subtoken-bio"): each word carries the tag predicted on its first sub-token.
``B-X`` starts an entity; ``I-X`` continues an entity of type ``X`` that is open on the previous
word and otherwise *starts* a new one (an ``I-X`` after ``O`` or after another type is repaired
into ``B-X``, as seqeval's default mode reads it); ``O`` closes. An entity is the union of its
words: ``(start of first word, end of last word)`` in code points on the input text.

The entity score is the mean, over its words, of the probability of the predicted tag (the
maximum softmax probability on each word's first sub-token). The tag rules themselves live in
:mod:`engine.text.bio`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.text.bio import bio_spans
from engine.types import Entity

DECODING_RULE = "first-subtoken-bio"


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax in float32."""
    x: np.ndarray = np.asarray(logits, dtype=np.float32)
    x = np.exp(x - x.max(axis=axis, keepdims=True))
    result: np.ndarray = x / x.sum(axis=axis, keepdims=True)
    return result


def decode_entities(
    text: str,
    word_offsets: np.ndarray,
    word_probs: np.ndarray,
    tags: Sequence[str],
) -> list[Entity]:
    """Entities of one text from per-word tag probabilities (``n_words × n_tags``)."""
    if len(word_offsets) == 0:
        return []
    best = word_probs.argmax(axis=-1)
    confidence = word_probs[np.arange(len(best)), best]
    entities: list[Entity] = []
    for first, stop, kind in bio_spans([tags[i] for i in best]):
        start, end = int(word_offsets[first][0]), int(word_offsets[stop - 1][1])
        score = float(confidence[first:stop].mean())
        entities.append(Entity(start, end, kind, score, text[start:end]))
    return entities
