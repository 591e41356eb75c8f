"""Checks every reader shares: span values, spans against their text, storable strings."""

from __future__ import annotations

import json
from typing import Any

from engine.label_names import RULE, is_label_name, map_label_name
from engine.types import DocumentData, SpanData

from .registry import ReadContext


def make_span(
    start: Any, end: Any, label: Any, ctx: ReadContext, line: int | None, where: str = ""
) -> SpanData:
    """Build a :class:`SpanData` from raw file values, or raise FormatError saying what is wrong."""
    prefix = f"{where}: " if where else ""
    for name, value in (("start", start), ("end", end)):
        if type(value) is not int:  # bool is an int subclass; 3.0 is not an offset
            raise ctx.error(f"{prefix}span {name} must be an integer, got {_show(value)}", line)
    if not isinstance(label, str):
        raise ctx.error(f"{prefix}span label must be a string, got {_show(label)}", line)
    if not label.strip():
        raise ctx.error(f"{prefix}span label is empty", line)
    return SpanData(start, end, label)


def check_document(doc: DocumentData, ctx: ReadContext, where: str = "") -> None:
    """Check one document as a reader built it; sorts its spans by offset.

    Spans must lie inside the text, be non-empty and not overlap (flat NER); text, labels and
    metadata must be storable as UTF-8 (JSON lets a file carry lone surrogates like ``\\ud800``).
    """
    line = doc.line
    prefix = f"{where}: " if where else ""
    _check_storable(doc.text, "text", ctx, line, prefix)
    n = len(doc.text)
    _map_labels(doc, ctx, line, prefix)
    for extra, what in ((doc.suggestions, "suggested span"), (doc.rejections, "rejected span")):
        for span in extra:
            if not 0 <= span.start < span.end <= n:
                raise ctx.error(
                    f"{prefix}{what} {span.start}..{span.end} ({span.label}) is "
                    f"empty or outside the text (length {n})",
                    line,
                )
    for span in doc.spans:
        if span.start < 0 or span.end > n:
            raise ctx.error(
                f"{prefix}span {span.start}..{span.end} ({span.label}) is outside the text "
                f"(length {n})",
                line,
            )
        if span.start >= span.end:
            raise ctx.error(
                f"{prefix}span {span.start}..{span.end} ({span.label}) is empty or reversed "
                "(start must be less than end)",
                line,
            )
        _check_storable(span.label, "label", ctx, line, prefix)
    doc.spans.sort(key=lambda s: (s.start, s.end))
    for prev, cur in zip(doc.spans, doc.spans[1:], strict=False):
        if cur.start < prev.end:
            raise ctx.error(
                f"{prefix}spans {prev.start}..{prev.end} ({prev.label}) and "
                f"{cur.start}..{cur.end} ({cur.label}) overlap; only flat (non-overlapping) "
                "entities are supported",
                line,
            )
    if doc.metadata:
        try:
            json.dumps(doc.metadata, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
            raise ctx.error(f"{prefix}metadata cannot be stored: {exc}", line) from None


def _map_labels(doc: DocumentData, ctx: ReadContext, line: int | None, prefix: str) -> None:
    """Replace label names that break the label-name rule by allowed ones (noted once each)."""
    ok: set[str] = ctx.options.setdefault("_label_ok", set())
    for spans in (doc.spans, doc.suggestions, doc.rejections):
        for i, span in enumerate(spans):
            if span.label in ok:
                continue
            if is_label_name(span.label):
                ok.add(span.label)
                continue
            _check_storable(span.label, "label", ctx, line, prefix)
            new = map_label_name(span.label)
            if new is None:
                raise ctx.error(f"{prefix}label {span.label!r} cannot be used: {RULE}", line)
            ctx.say(
                f"label {span.label!r} stored as {new!r} (label names cannot hold "
                "spaces, commas or control characters)"
            )
            spans[i] = SpanData(span.start, span.end, new)


def _check_storable(value: str, what: str, ctx: ReadContext, line: int | None, prefix: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise ctx.error(
            f"{prefix}{what} contains a lone surrogate (\\u{ord(bad):04x}) that cannot be stored "
            "as UTF-8",
            line,
        ) from None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 40 else text[:37] + "..."
