"""Snap a character selection to token boundaries (modes as spaCy's ``Doc.char_span``)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.errors import ValidationError
from engine.text.tokens import Token, word_tokens

SNAP_MODES = ("strict", "contract", "expand")


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
    whitespace is trimmed first in every mode.
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
    if mode == "expand":
        return (inside[0].start, inside[-1].end)
    full = [t for t in inside if t.start >= start and t.end <= end]
    if not full:
        return None
    return (full[0].start, full[-1].end)
