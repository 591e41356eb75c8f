"""Word ↔ sub-token alignment and the overlapping windows that keep long texts whole.

Shared by inference and training so both see a text the same way (numpy + tokenizers output only):

- :func:`subtoken_words` / :func:`align_words`: the raw text is tokenised once with offsets
  (``tokenizers`` reports offsets in code points, the same unit as our spans); each sub-token
  belongs to the word that contains its start offset (or, when it starts in whitespace, to the
  first word it overlaps). A word is represented by its **first** sub-token; a word that no
  sub-token reaches (characters the tokenizer drops) gets index -1 and is tagged ``O``.
- :func:`make_windows`: a sub-token sequence longer than ``max_length - specials`` is cut into
  overlapping windows, never truncated; :func:`window_owners` says, for each sub-token, which
  window predicts it: the one where it is most central (farthest from a window edge).
- :func:`pack_windows`: length-sorted, padded model inputs for a list of windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def make_windows(n_subtokens: int, max_len: int, stride: int) -> list[tuple[int, int]]:
    """``[start, end)`` sub-token windows of at most ``max_len`` covering ``n_subtokens``.

    ``max_len`` counts content sub-tokens only (the caller reserves room for [CLS]/[SEP]).
    Consecutive windows overlap by ``stride`` sub-tokens; the last window is aligned to the end
    so it is as long as the others. ``stride`` is clamped to ``max_len // 2`` so windows advance.
    A zero-length input has no windows.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    if n_subtokens <= 0:
        return []
    if n_subtokens <= max_len:
        return [(0, n_subtokens)]
    overlap = max(0, min(stride, max_len // 2))
    step = max_len - overlap
    windows: list[tuple[int, int]] = []
    start = 0
    while start + max_len < n_subtokens:
        windows.append((start, start + max_len))
        start += step
    windows.append((n_subtokens - max_len, n_subtokens))
    return windows


def window_owners(n_subtokens: int, windows: Sequence[tuple[int, int]]) -> np.ndarray:
    """For each sub-token, the index of the window where it is most central.

    Centrality is the distance to the nearer window edge; ties go to the earlier window.
    """
    owner = np.zeros(n_subtokens, dtype=np.int64)
    best = np.full(n_subtokens, -1, dtype=np.int64)
    pos = np.arange(n_subtokens)
    for i, (start, end) in enumerate(windows):
        sl = slice(start, end)
        margin = np.minimum(pos[sl] - start, end - 1 - pos[sl])
        better = margin > best[sl]
        best[sl] = np.where(better, margin, best[sl])
        owner[sl] = np.where(better, i, owner[sl])
    return owner


@dataclass(frozen=True)
class SpecialTokens:
    """How the tokenizer frames one sequence: ids before and after the content, and [PAD]."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    pad_id: int

    @property
    def count(self) -> int:
        return len(self.prefix) + len(self.suffix)


@dataclass(frozen=True)
class WindowRef:
    """Window number ``index`` of text ``text``: ``[start, end)`` over its sub-tokens."""

    text: int
    start: int
    end: int
    index: int = 0


def pack_windows(
    refs: Sequence[WindowRef], ids: Sequence[np.ndarray], special: SpecialTokens
) -> dict[str, np.ndarray]:
    """Padded int64 ``input_ids``/``attention_mask``/``token_type_ids`` for ``refs``.

    Row ``i`` is ``prefix + ids[refs[i].text][start:end] + suffix`` padded to the longest row.
    """
    lengths = [ref.end - ref.start + special.count for ref in refs]
    width = max(lengths, default=special.count)
    input_ids = np.full((len(refs), width), special.pad_id, dtype=np.int64)
    mask = np.zeros((len(refs), width), dtype=np.int64)
    head = np.asarray(special.prefix, dtype=np.int64)
    tail = np.asarray(special.suffix, dtype=np.int64)
    for row, (ref, length) in enumerate(zip(refs, lengths, strict=True)):
        input_ids[row, :length] = np.concatenate([head, ids[ref.text][ref.start : ref.end], tail])
        mask[row, :length] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)}


def length_sorted_batches(refs: Sequence[WindowRef], batch_size: int) -> list[list[WindowRef]]:
    """Batches of windows of similar length (longest first), so padding stays small."""
    order = sorted(refs, key=lambda r: r.end - r.start, reverse=True)
    size = max(1, batch_size)
    return [order[i : i + size] for i in range(0, len(order), size)]
