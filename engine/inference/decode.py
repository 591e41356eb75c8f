"""BIO decoding shared by the predictor and evaluation (numpy only).

Rule ("first-subtoken-bio"): each word carries the tag predicted on its first sub-token.
``B-X`` starts an entity; ``I-X`` continues an entity of type ``X`` that is open on the previous
word and otherwise *starts* a new one (an ``I-X`` after ``O`` or after another type is repaired
into ``B-X``, as seqeval's default mode reads it); ``O`` closes. An entity is the union of its
words: ``(start of first word, end of last word)`` in code points on the input text.

The entity score is the mean, over its words, of the probability of the predicted tag (the
maximum softmax probability on each word's first sub-token).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.types import Entity

DECODING_RULE = "first-subtoken-bio"
OUTSIDE = "O"


def parse_tag(tag: str) -> tuple[str, str]:
    """``("B"|"I"|"O", type)`` of a BIO tag; raises ValueError for anything else."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, sep, kind = tag.partition("-")
    if sep and prefix in ("B", "I") and kind:
        return prefix, kind
    raise ValueError(f"not a BIO tag: {tag!r}")


def check_bio_tags(tags: Sequence[str]) -> list[str]:
    """Validate a tag list (``O`` present, each tag BIO); return its entity types in order."""
    if OUTSIDE not in tags:
        raise ValueError("the label map has no 'O' tag")
    kinds: list[str] = []
    for tag in tags:
        _, kind = parse_tag(tag)
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds


def bio_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """``[(first_word, last_word + 1, type)]`` of the entities in a word tag sequence."""
    spans: list[tuple[int, int, str]] = []
    open_start, open_kind = -1, ""
    for i, tag in enumerate(tags):
        prefix, kind = parse_tag(tag)
        continues = prefix == "I" and open_start >= 0 and kind == open_kind
        if continues:
            continue
        if open_start >= 0:
            spans.append((open_start, i, open_kind))
            open_start, open_kind = -1, ""
        if prefix != OUTSIDE:
            open_start, open_kind = i, kind
    if open_start >= 0:
        spans.append((open_start, len(tags), open_kind))
    return spans


def repair_bio(tags: Sequence[str]) -> list[str]:
    """The tags with every entity-starting ``I-X`` rewritten ``B-X`` (same entities)."""
    out = [OUTSIDE] * len(tags)
    for start, end, kind in bio_spans(tags):
        out[start] = f"B-{kind}"
        for i in range(start + 1, end):
            out[i] = f"I-{kind}"
    return out


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
