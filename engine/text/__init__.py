"""Text handling: segmentation, word tokens with code-point offsets, and selection snapping."""

from engine.text.segment import segment_text
from engine.text.snap import SNAP_MODES, snap_span
from engine.text.tokens import Token, whitespace_tokens, word_tokens

__all__ = ["SNAP_MODES", "Token", "segment_text", "snap_span", "whitespace_tokens", "word_tokens"]
