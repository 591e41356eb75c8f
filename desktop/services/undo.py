"""Undoable edits. Each command writes through the engine the moment it is done or undone.

A command's first write happens in :meth:`EditCommand.apply` *before* it is pushed: if the write
fails (disk full, read-only project…) the command is never pushed and the person is told, so the
screen never shows an edit that is not saved. A later undo/redo that fails marks the command
obsolete (Qt then drops it from the stack) and reports the error; views always redraw from the
database, so they show what is really stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QUndoCommand

from engine.errors import EngineError
from engine.types import Span, Suggestion

if TYPE_CHECKING:
    from engine.api import Project

#: What a write through the engine can raise that the person must hear about.
WRITE_ERRORS: tuple[type[BaseException], ...] = (EngineError,)


class EditSink(Protocol):
    """What a command needs from the session: the project and where to report."""

    @property
    def project(self) -> Project | None: ...

    def notify_segment(self, segment_id: int) -> None: ...

    def report_write_failure(self, error: BaseException) -> None: ...


class EditCommand(QUndoCommand):
    """Base: subclasses write in :meth:`_do` and :meth:`_undo`."""

    def __init__(self, sink: EditSink, text: str, segment_id: int) -> None:
        super().__init__(text)
        self._sink = sink
        self.segment_id = segment_id
        self._skip_redo = False

    @property
    def project(self) -> Project:
        project = self._sink.project
        if project is None:
            raise EngineError("no project is open")
        return project

    def apply(self) -> None:
        """Do the edit for the first time; raises on failure (then do not push)."""
        try:
            self._do()
        finally:
            self._sink.notify_segment(self.segment_id)
        self._skip_redo = True  # QUndoStack.push calls redo(): the write is already done

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._guarded(self._do)

    def undo(self) -> None:
        self._guarded(self._undo)

    def _guarded(self, write: Callable[[], None]) -> None:
        try:
            write()
        except WRITE_ERRORS as exc:
            self.setObsolete(True)
            self._sink.report_write_failure(exc)
        finally:
            self._sink.notify_segment(self.segment_id)

    def _do(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _undo(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class AddSpanCommand(EditCommand):
    def __init__(self, sink: EditSink, segment_id: int, start: int, end: int, label: str):
        super().__init__(sink, f"Add {label}", segment_id)
        self.start, self.end, self.label = start, end, label
        self.span_id: int | None = None

    def _do(self) -> None:
        span = self.project.annotations.add_span(
            self.segment_id, self.start, self.end, self.label, span_id=self.span_id
        )
        self.span_id = span.id

    def _undo(self) -> None:
        assert self.span_id is not None
        self.project.annotations.remove_span(self.span_id)


class RemoveSpanCommand(EditCommand):
    def __init__(self, sink: EditSink, span: Span):
        super().__init__(sink, f"Delete {span.label}", span.segment_id)
        self.span = span

    def _do(self) -> None:
        self.project.annotations.remove_span(self.span.id)

    def _undo(self) -> None:
        s = self.span
        self.project.annotations.add_span(
            s.segment_id, s.start, s.end, s.label, source=s.source, span_id=s.id
        )


class UpdateSpanCommand(EditCommand):
    """Relabel or resize: ``after`` is (start, end, label)."""

    def __init__(self, sink: EditSink, span: Span, after: tuple[int, int, str], text: str):
        super().__init__(sink, text, span.segment_id)
        self.span_id = span.id
        self.before = (span.start, span.end, span.label)
        self.after = after

    def _write(self, values: tuple[int, int, str]) -> None:
        start, end, label = values
        self.project.annotations.update_span(self.span_id, start=start, end=end, label=label)

    def _do(self) -> None:
        self._write(self.after)

    def _undo(self) -> None:
        self._write(self.before)


class AcceptSuggestionsCommand(EditCommand):
    """Accept one or more suggestions of a segment, in one transaction."""

    def __init__(self, sink: EditSink, segment_id: int, suggestions: Sequence[Suggestion]):
        n = len(suggestions)
        text = f"Accept {suggestions[0].label}" if n == 1 else f"Accept {n} suggestions"
        super().__init__(sink, text, segment_id)
        self.suggestions = tuple(suggestions)
        self.span_ids: list[int] = []

    def _do(self) -> None:
        spans = self.project.annotations.accept_suggestions([s.id for s in self.suggestions])
        self.span_ids = [span.id for span in spans]

    def _undo(self) -> None:
        self.project.annotations.unaccept_suggestions(self.span_ids, self.suggestions)


class RejectSuggestionsCommand(EditCommand):
    def __init__(self, sink: EditSink, segment_id: int, suggestions: Sequence[Suggestion]):
        n = len(suggestions)
        text = f"Reject {suggestions[0].label}" if n == 1 else f"Reject {n} suggestions"
        super().__init__(sink, text, segment_id)
        self.suggestions = tuple(suggestions)

    def _do(self) -> None:
        self.project.annotations.reject_suggestions([s.id for s in self.suggestions])

    def _undo(self) -> None:
        self.project.annotations.restore_suggestions(self.suggestions)


class SetStatusCommand(EditCommand):
    def __init__(self, sink: EditSink, segment_id: int, before: str, after: str):
        super().__init__(sink, f"Mark {after}", segment_id)
        self.before, self.after = before, after

    def _do(self) -> None:
        self.project.annotations.set_status(self.segment_id, self.after)

    def _undo(self) -> None:
        self.project.annotations.set_status(self.segment_id, self.before)
