"""Snap a character selection to token boundaries (modes as spaCy's ``Doc.char_span``).

Also the word rule shared by labelling and suggestions: a *word* is a run of word tokens joined
without spaces by nothing or a single hyphen (``Aurora-2``, ``al-Qarawiyyin``), without edge
punctuation (``Jerez.`` → ``Jerez``) and without a possessive ``'s``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import regex

from engine.errors import ValidationError
from engine.text.tokens import Token, word_tokens

SNAP_MODES = ("strict", "contract", "expand")
_WORD_CHAR_RE = regex.compile(r"[\p{L}\p{N}]")
_HYPHENS = frozenset("-‐‑‒–")


def is_word_token(text: str, tok: Token) -> bool:
    """True when the token holds a letter or a digit (not punctuation, symbols or emoji)."""
    return _WORD_CHAR_RE.search(text, tok.start, tok.end) is not None


def _trim_punctuation(text: str, toks: Sequence[Token]) -> Sequence[Token]:
    lo, hi = 0, len(toks)
    while lo < hi and not is_word_token(text, toks[lo]):
        lo += 1
    while hi > lo and not is_word_token(text, toks[hi - 1]):
        hi -= 1
    return toks[lo:hi]


def snap_span(
    text: str,
    start: int,
    end: int,
    mode: str = "expand",
    tokens: Sequence[Token] | None = None,
) -> tuple[int, int] | None:
    """Return ``(start, end)`` moved to token boundaries, or None when nothing is left.

    strict: the selection must already start and end on token boundaries; contract: keep only
    the tokens fully inside; expand: cover every token the selection touches. Surrounding
    whitespace is trimmed first in every mode, and punctuation tokens at the edges in contract
    and expand (``Jerez.`` → ``Jerez``, ``, Zofia`` → ``Zofia``).
    """
    if mode not in SNAP_MODES:
        raise ValidationError(f"unknown snap mode {mode!r}; use one of {SNAP_MODES}", field="mode")
    start, end = max(0, min(start, end)), min(len(text), max(start, end))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return None
    toks = tokens if tokens is not None else word_tokens(text)
    inside = [t for t in toks if t.end > start and t.start < end]
    if not inside:
        return None
    if mode == "strict":
        ok = inside[0].start == start and inside[-1].end == end
        return (start, end) if ok else None
    if mode == "contract":
        inside = [t for t in inside if t.start >= start and t.end <= end]
    kept = _trim_punctuation(text, inside)
    return (kept[0].start, kept[-1].end) if kept else None


def _joins(text: str, prev: Token, tok: Token, nxt: Token | None) -> bool:
    """Whether ``tok`` continues the word that ends with ``prev``."""
    if tok.start != prev.end or text[tok.start] in "'’":
        return False
    if is_word_token(text, tok):
        return is_word_token(text, prev) or text[prev.start] in _HYPHENS
    return (
        tok.end - tok.start == 1
        and text[tok.start] in _HYPHENS
        and is_word_token(text, prev)
        and nxt is not None
        and nxt.start == tok.end
        and is_word_token(text, nxt)
    )


def word_ranges(text: str, tokens: Sequence[Token] | None = None) -> list[tuple[int, int]]:
    """The whole words of ``text`` as ``(start, end)`` offsets (see the module docstring)."""
    toks = list(tokens if tokens is not None else word_tokens(text))
    groups: list[list[Token]] = []
    for i, tok in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if groups and _joins(text, groups[-1][-1], tok, nxt):
            groups[-1].append(tok)
        else:
            groups.append([tok])
    return [
        (g[0].start, g[-1].end)
        for g in groups
        if is_word_token(text, g[0]) and text[g[0].start] not in "'’"
    ]


def word_at(text: str, pos: int, tokens: Sequence[Token] | None = None) -> tuple[int, int] | None:
    """The whole word at ``pos`` (or ending right at it), or None on a space or punctuation."""
    words = word_ranges(text, tokens)
    hit = next((w for w in words if w[0] <= pos < w[1]), None)
    return hit or next((w for w in words if w[1] == pos), None)


def snap_to_words(
    text: str,
    items: Iterable[tuple[int, int, str, float]],
    tokens: Sequence[Token] | None = None,
) -> list[tuple[int, int, str, float]]:
    """Suggestions ``(start, end, label, score)`` widened to the whole words they touch.

    An item that touches no word (a lone hyphen) is dropped; where snapped items overlap, the
    best-scored one wins, so suggestions never overlap each other. Sorted by start.
    """
    words = word_ranges(text, tokens)
    snapped: list[tuple[int, int, str, float]] = []
    for start, end, label, score in items:
        if _WORD_CHAR_RE.search(text, max(0, start), max(0, end)) is None:
            continue  # a lone hyphen or comma is no entity
        touched = [w for w in words if w[1] > start and w[0] < end]
        if touched:
            snapped.append((touched[0][0], touched[-1][1], label, score))
    kept: list[tuple[int, int, str, float]] = []
    for item in sorted(snapped, key=lambda s: (-s[3], s[0])):
        if all(item[1] <= k[0] or item[0] >= k[1] for k in kept):
            kept.append(item)
    return sorted(kept)
