"""Reads what the span editor needs for one segment (a few small indexed queries)."""

from __future__ import annotations

from desktop.widgets.editor_content import EditorContent
from engine.api import Project, word_ranges

CONTEXT_CHARS = 400


def load_content(
    project: Project, segment_id: int, *, context: int = 1, context_chars: int = CONTEXT_CHARS
) -> EditorContent:
    """The segment with up to ``context`` neighbours each side, each side cut to about
    ``context_chars`` characters (a whole-document segment must not drag in megabytes)."""
    seg = project.segment(segment_id)
    around = project.neighbours(segment_id, context, context)
    doc_text = project.document_text(seg.document_id)
    start = min(s.start for s in around)
    if start < seg.start - context_chars:
        start = _cut_at_space(doc_text, seg.start - context_chars, seg.start, forward=True)
    end = max(s.end for s in around)
    if end > seg.end + context_chars:
        end = _cut_at_space(doc_text, seg.end + context_chars, seg.end, forward=False)
    text = doc_text[start:end]
    return EditorContent(
        segment=seg,
        text=text,
        base=start,
        spans=tuple(project.annotations.spans(segment_id)),
        suggestions=tuple(project.annotations.suggestions(segment_id)),
        labels=tuple(project.labels.get_all()),
        position=f"document {seg.document_id} · segment {seg.position + 1}",
        words=tuple((a + start, b + start) for a, b in word_ranges(text)),
    )


def _cut_at_space(text: str, at: int, limit: int, *, forward: bool) -> int:
    """Move a context cut to the nearest whitespace between ``at`` and ``limit``."""
    if forward:
        space = text.find(" ", at, limit)
        return space + 1 if space >= 0 else at
    space = text.rfind(" ", limit, at)
    return space if space >= 0 else at
