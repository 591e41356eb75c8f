"""Nested and crossing entities from formats that allow them, made flat for flat NER."""

from __future__ import annotations

from pathlib import Path

from engine.errors import FormatError
from engine.types import SpanData

from .registry import ReadContext


def keep_outer(
    entities: list[tuple[int | None, SpanData]], ctx: ReadContext, path: Path | None = None
) -> list[SpanData]:
    """The outer entities of ``(line, span)`` pairs; an entity inside another is counted as not
    kept, two entities that cross are refused naming both lines. Identical duplicates merge."""
    entities = sorted(entities, key=lambda e: (e[1].start, -e[1].end))
    kept: list[tuple[int | None, SpanData]] = []
    for n, span in entities:
        if kept and span.start < kept[-1][1].end:
            outer_line, outer = kept[-1]
            if span == outer:
                continue
            if span.end <= outer.end:
                ctx.note("nested entities (inside another entity) not kept")
                continue
            raise FormatError(
                f"entity {span.start}..{span.end} ({span.label}) crosses the "
                f"entity on line {outer_line} ({outer.start}..{outer.end} "
                f"{outer.label}); only flat entities can be imported",
                path=path or ctx.path,
                line=n,
            )
        kept.append((n, span))
    return [span for _, span in kept]
