"""Labelled segments → words → BIO labels on the first sub-token of each word, in windows.

Words are the whitespace tokens of pre-tokenised text (CoNLL) and :func:`word_tokens` otherwise,
split at span boundaries. Each span tags its words ``B-X I-X ...``; the tag of a word goes on its
first sub-token (the sub-token whose start offset lies in the word, from the fast tokenizer's
offsets on the raw text, :mod:`engine.text.align`); every other sub-token is -100.
A segment longer than the model window is cut into overlapping windows, never truncated.

A span that cannot be aligned (no word, or a word no sub-token starts in) is counted and
described in the :class:`AlignmentReport`; it is never moved to a neighbouring token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.inference.windows import SpecialTokens, make_windows, special_tokens
from engine.progress import CancelToken, check
from engine.text.align import align_words
from engine.text.bio import offsets_to_bio, span_tokens
from engine.text.tokens import Token, split_tokens_at, whitespace_tokens, word_tokens
from engine.types import LabelledExample, SpanData

IGNORE = -100
MAX_REPORTED = 20
CHUNK = 512


@dataclass
class AlignmentReport:
    """Counts of what reached the model, and the spans that could not be aligned."""

    examples: int = 0
    windows: int = 0
    words: int = 0
    subtokens: int = 0
    entities: int = 0
    unaligned_spans: int = 0
    partial_spans: int = 0
    unreachable_words: int = 0
    problems: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(message)

    def counts(self) -> dict[str, int]:
        return {
            "sentences": self.examples,
            "windows": self.windows,
            "tokens": self.words,
            "subtokens": self.subtokens,
            "entities": self.entities,
            "unaligned_spans": self.unaligned_spans,
            "partial_spans": self.partial_spans,
        }

    def log_lines(self, what: str = "training") -> list[str]:
        lines = [
            f"{what}: {self.examples} sentences, {self.words} words, {self.entities} "
            f"entities, {self.windows} windows"
        ]
        if self.unaligned_spans or self.partial_spans:
            lines.append(
                f"{what}: {self.unaligned_spans} spans could not be aligned to "
                f"sub-tokens and were left out, {self.partial_spans} partly aligned"
            )
            lines.extend(f"  {p}" for p in self.problems)
        return lines


@dataclass(frozen=True)
class EncodedExample:
    """One segment ready for the model: content sub-token ids and word alignment."""

    segment_id: int
    text: str
    words: tuple[Token, ...]
    tags: tuple[str, ...]
    ids: np.ndarray
    first: np.ndarray
    labels: np.ndarray
    windows: tuple[tuple[int, int], ...]


def example_words(example: LabelledExample) -> list[Token]:
    """The words of a segment, split at its span boundaries."""
    base = whitespace_tokens if example.tokenized else word_tokens
    cuts = {s.start for s in example.spans} | {s.end for s in example.spans}
    return split_tokens_at(base(example.text), cuts)


def word_tags(
    words: Sequence[Token], spans: Sequence[SpanData]
) -> tuple[list[str], list[list[int]]]:
    """BIO tag per word and, per span, the indices of the words it covers."""
    covered = span_tokens(words, spans)
    return offsets_to_bio(words, spans, covered), covered


def encode_examples(
    examples: Sequence[LabelledExample],
    tokenizer: Any,
    tag_ids: dict[str, int],
    max_length: int,
    stride: int,
    report: AlignmentReport | None = None,
    cancel: CancelToken | None = None,
) -> list[EncodedExample]:
    """Tokenise, align and window ``examples``; add counts and problems to ``report``.

    ``max_length`` counts the special tokens; ``stride`` is the overlap of consecutive windows.
    Raises Cancelled (checked every few hundred examples).
    """
    report = report if report is not None else AlignmentReport()
    special = special_tokens(tokenizer.backend_tokenizer, tokenizer.pad_token)
    window = max(1, max_length - special.count)
    out = []
    for i in range(0, len(examples), CHUNK):
        check(cancel)
        chunk = examples[i : i + CHUNK]
        encodings = tokenizer.backend_tokenizer.encode_batch(
            [ex.text for ex in chunk], add_special_tokens=False
        )
        for ex, enc in zip(chunk, encodings, strict=True):
            out.append(_encode_one(ex, enc, tag_ids, window, stride, report))
    return out


def _encode_one(
    ex: LabelledExample,
    enc: Any,
    tag_ids: dict[str, int],
    window: int,
    stride: int,
    report: AlignmentReport,
) -> EncodedExample:
    words = example_words(ex)
    tags, covered = word_tags(words, ex.spans)
    ids = np.asarray(enc.ids, dtype=np.int64)
    first = (
        align_words(enc.offsets, [(w.start, w.end) for w in words])
        if words
        else np.zeros(0, dtype=np.int64)
    )
    labels = np.full(len(ids), IGNORE, dtype=np.int64)
    reached = first >= 0
    labels[first[reached]] = [
        tag_ids.get(t, tag_ids["O"]) for t, r in zip(tags, reached, strict=True) if r
    ]
    _check_spans(ex, covered, first, report)
    windows = tuple(make_windows(len(ids), window, stride))
    report.examples += 1
    report.windows += len(windows)
    report.words += len(words)
    report.subtokens += len(ids)
    report.unreachable_words += int((~reached).sum())
    return EncodedExample(
        ex.segment_id, ex.text, tuple(words), tuple(tags), ids, first, labels, windows
    )


def _check_spans(
    ex: LabelledExample, covered: list[list[int]], first: np.ndarray, report: AlignmentReport
) -> None:
    for span, inside in zip(ex.spans, covered, strict=True):
        reached = [i for i in inside if first[i] >= 0]
        where = (
            f"segment {ex.segment_id} [{span.start}, {span.end}) {span.label} "
            f"{ex.text[span.start : span.end]!r}"
        )
        if not reached:
            report.unaligned_spans += 1
            report.note(f"{where}: no sub-token starts inside it")
        else:
            report.entities += 1
            if len(reached) < len(inside):
                report.partial_spans += 1
                report.note(f"{where}: {len(inside) - len(reached)} of its words have no sub-token")


def window_rows(
    encoded: Sequence[EncodedExample],
    special: SpecialTokens,
) -> list[tuple[list[int], list[int]]]:
    """Training rows: (input ids with specials, labels with -100 on specials) per window."""
    head, tail = list(special.prefix), list(special.suffix)
    pad_head, pad_tail = [IGNORE] * len(head), [IGNORE] * len(tail)
    rows = []
    for ex in encoded:
        for start, end in ex.windows:
            labels = ex.labels[start:end]
            if not (labels != IGNORE).any():
                continue
            rows.append(
                (head + ex.ids[start:end].tolist() + tail, pad_head + labels.tolist() + pad_tail)
            )
    return rows
