"""Which segment the person is looking at, the way back and forward, and what comes next."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.services.queue_source import QueueSource
from desktop.services.session import Session

HISTORY_LIMIT = 500


class Navigator(QObject):
    """Current segment plus a browser-like history (Alt+Left / Alt+Right)."""

    current_changed = Signal(int)  # segment id, -1 when there is nothing to show
    queue_finished = Signal()

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._source: QueueSource | None = None
        self._history: list[int] = []
        self._index = -1
        session.project_opened.connect(self._on_session_project_opened)
        session.project_closed.connect(self._on_session_project_closed)
        session.queue_changed.connect(self._on_session_queue_changed)

    @property
    def current(self) -> int | None:
        return self._history[self._index] if self._index >= 0 else None

    @property
    def source(self) -> QueueSource | None:
        return self._source

    def can_go_back(self) -> bool:
        return self._index > 0

    def can_go_forward(self) -> bool:
        return 0 <= self._index < len(self._history) - 1

    def show(self, segment_id: int) -> None:
        """Show ``segment_id``; it becomes the newest history entry."""
        if segment_id == self.current:
            return
        del self._history[self._index + 1 :]
        self._history.append(segment_id)
        if len(self._history) > HISTORY_LIMIT:
            del self._history[0]
        self._index = len(self._history) - 1
        self.current_changed.emit(segment_id)

    def back(self) -> bool:
        if not self.can_go_back():
            return False
        self._index -= 1
        self.current_changed.emit(self._history[self._index])
        return True

    def forward(self) -> bool:
        if not self.can_go_forward():
            return False
        self._index += 1
        self.current_changed.emit(self._history[self._index])
        return True

    def next_in_queue(self) -> bool:
        """Go to the first segment still to label in queue order."""
        if self._source is None:
            return False
        nxt = self._source.next_todo(exclude=self.current)
        if nxt is None:
            self.queue_finished.emit()
            return False
        self.show(nxt)
        return True

    def finish_current(self, status: str) -> bool:
        """Mark the current segment (labelled / skipped) and go to the next one."""
        current = self.current
        if current is None:
            return False
        if not self._session.set_status(current, status):
            return False
        self.next_in_queue()
        return True

    # -- session -------------------------------------------------------------------------------
    def _on_session_project_opened(self, project: object) -> None:
        self._source = QueueSource(project)  # type: ignore[arg-type]
        self._history.clear()
        self._index = -1
        self._show_first()
        if self.current is None:
            self.current_changed.emit(-1)

    def _on_session_queue_changed(self) -> None:
        """Nothing shown yet (an empty project that just got its first import): show the top."""
        if self.current is None and self._source is not None:
            self._show_first()

    def _show_first(self) -> None:
        assert self._source is not None
        nxt = self._source.next_todo()
        if nxt is None:
            first = self._source.page(0, 1)
            nxt = first[0].segment_id if first else None
        if nxt is not None:
            self.show(nxt)

    def _on_session_project_closed(self) -> None:
        self._source = None
        self._history.clear()
        self._index = -1
        self.current_changed.emit(-1)
