"""The overlapping windows that keep long texts whole, and the special tokens around them.

Shared by inference and training so both see a text the same way (numpy + tokenizers output only;
the word ↔ sub-token alignment is :mod:`engine.text.align`):

- :func:`make_windows`: a sub-token sequence longer than ``max_length - specials`` is cut into
  overlapping windows, never truncated; :func:`window_owners` says, for each sub-token, which
  window predicts it: the one where it is most central (farthest from a window edge).
- :func:`special_tokens`: the ids around one sequence and the pad id, for training and inference.
- :func:`pack_windows`: length-sorted, padded model inputs for a list of windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


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


def special_tokens(
    tokenizer: Any, pad_token: object = None, config_pad_id: object = None
) -> SpecialTokens:
    """The ids ``tokenizer`` (a ``tokenizers.Tokenizer``) puts around one sequence, and [PAD].

    The one rule for training and inference: prefix and suffix are the special tokens framing
    the encoding of ``"a"`` ([CLS] … [SEP] for BERT). The pad id is that of ``pad_token`` (the
    tokenizer's pad token, e.g. from ``tokenizer_config.json``) when the vocabulary has it, else
    ``config_pad_id`` (the model config's ``pad_token_id``) when it is an int, else 0.
    """
    framed = tokenizer.encode("a", add_special_tokens=True)
    mask = list(framed.special_tokens_mask)
    ids = list(framed.ids)
    lead = next((i for i, m in enumerate(mask) if not m), len(mask))
    trail = next((i for i, m in enumerate(reversed(mask)) if not m), 0)
    pad_id = tokenizer.token_to_id(pad_token) if isinstance(pad_token, str) else None
    if pad_id is None:
        pad_id = config_pad_id
    if not isinstance(pad_id, int) or isinstance(pad_id, bool):
        pad_id = 0
    return SpecialTokens(tuple(ids[:lead]), tuple(ids[len(ids) - trail :]), int(pad_id))


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


# Architectures whose position ids start after the padding index (fairseq style): their
# usable positions are max_position_embeddings - (pad_token_id + 1).
_PADDING_OFFSET_TYPES = frozenset(
    {
        "roberta",
        "xlm-roberta",
        "camembert",
        "longformer",
        "xlm-roberta-xl",
        "data2vec-text",
        "luke",
        "mpnet",
    }
)


def position_limit(config: Any) -> int | None:
    """The longest window (specials included) a model's position embeddings allow, or None.

    ``config`` is a ``config.json`` dict or a transformers config. A window longer than this
    fails inside the model ("size of tensor a (256) must match ... (128)"), so training,
    evaluation, export validation and scoring all clamp their window to it.
    """
    get = config.get if isinstance(config, dict) else lambda k, d=None: getattr(config, k, d)
    n = get("max_position_embeddings")
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        return None
    if get("model_type") in _PADDING_OFFSET_TYPES:
        pad = get("pad_token_id")
        n -= (pad if isinstance(pad, int) and pad >= 0 else 1) + 1
    return max(n, 1)


def clamp_window(max_length: int, config: Any) -> int:
    """``max_length`` lowered to :func:`position_limit` where the model needs it."""
    limit = position_limit(config)
    return max_length if limit is None else min(max_length, limit)
