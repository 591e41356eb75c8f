"""Character span ↔ word ↔ sub-token alignment, shared by training and inference (numpy only).

The raw text is tokenised once with offsets (``tokenizers`` reports offsets in code points, the
same unit as our spans); each sub-token belongs to the word that contains its start offset (or,
when it starts in whitespace, to the first word it overlaps). A word is represented by its
**first** sub-token; a word that no sub-token reaches (characters the tokenizer drops) gets index
-1 and is tagged ``O``. Words come from :mod:`engine.text.tokens`, split at span boundaries, and
their BIO tags from :mod:`engine.text.bio`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Offsets = Sequence[tuple[int, int]] | np.ndarray


def _as_pairs(offsets: Offsets) -> np.ndarray:
    arr = np.asarray(offsets, dtype=np.int64)
    return arr.reshape(-1, 2)


def subtoken_words(offsets: Offsets, words: Offsets) -> np.ndarray:
    """Word index of each sub-token (-1 for none).

    ``offsets`` are the sub-tokens' ``(start, end)`` code-point offsets on the text, ``words``
    the sorted, non-overlapping word offsets on the same text. A sub-token belongs to the word
    containing its start; if it starts outside every word (a leading-space piece) it belongs to
    the first word it overlaps; empty sub-tokens (special tokens) belong to none.
    """
    sub = _as_pairs(offsets)
    wrd = _as_pairs(words)
    result = np.full(len(sub), -1, dtype=np.int64)
    if len(sub) == 0 or len(wrd) == 0:
        return result
    starts, ends = sub[:, 0], sub[:, 1]
    w_starts, w_ends = wrd[:, 0], wrd[:, 1]
    idx = np.searchsorted(w_starts, starts, side="right") - 1
    inside = (idx >= 0) & (starts < w_ends[np.clip(idx, 0, None)])
    nxt = idx + 1
    nxt_ok = nxt < len(wrd)
    overlaps = nxt_ok & (w_starts[np.clip(nxt, 0, len(wrd) - 1)] < ends)
    result[inside] = idx[inside]
    spill = ~inside & overlaps
    result[spill] = nxt[spill]
    result[ends <= starts] = -1
    return result


def first_subtokens(word_of_subtoken: np.ndarray, n_words: int) -> np.ndarray:
    """Index of the first sub-token of each of ``n_words`` words (-1 where a word has none)."""
    first = np.full(n_words, -1, dtype=np.int64)
    owned = np.nonzero(word_of_subtoken >= 0)[0]
    # np.unique's return_index gives each word's first occurrence in ascending sub-token order.
    words, at = np.unique(word_of_subtoken[owned], return_index=True)
    first[words] = owned[at]
    return first


def align_words(offsets: Offsets, words: Offsets) -> np.ndarray:
    """First sub-token index per word (-1 where no sub-token starts in the word).

    The one alignment rule of Spantune: labels go on (and predictions are read from) this
    sub-token; every other sub-token of the word is ignored (-100 in training).
    """
    return first_subtokens(subtoken_words(offsets, words), len(_as_pairs(words)))
