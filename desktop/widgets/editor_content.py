"""What the span editor shows: a segment, a little context around it, its spans and suggestions.

Plain values built by the session layer (:func:`desktop.services.editor_loader.load_content`);
the editor never reads the database itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.types import Label, Segment, Span, Suggestion


@dataclass(frozen=True)
class EditorContent:
    segment: Segment
    text: str  # stored document text from ``base`` (context + segment + context)
    base: int  # document offset of ``text[0]``
    spans: tuple[Span, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    labels: tuple[Label, ...] = ()
    position: str = ""  # e.g. "document 3 · sentence 12"
    words: tuple[tuple[int, int], ...] = ()  # whole words of ``text`` (document offsets)

    def label(self, name: str) -> Label | None:
        return next((lab for lab in self.labels if lab.name == name), None)

    def color(self, name: str) -> str:
        lab = self.label(name)
        return lab.color if lab is not None else "#9E9E9E"

    def span(self, span_id: int) -> Span | None:
        return next((s for s in self.spans if s.id == span_id), None)

    def word_at(self, pos: int) -> tuple[int, int] | None:
        """The whole word holding document offset ``pos`` (a double-click selects it)."""
        return next((w for w in self.words if w[0] <= pos < w[1]), None)

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        return next((s for s in self.suggestions if s.id == suggestion_id), None)
