"""Reads queue pages on its own thread, so scrolling a 100,000-segment queue never freezes.

Deep pages of an ``ORDER BY … LIMIT … OFFSET`` query cost hundreds of milliseconds; the GUI
thread only inserts the rows when they arrive.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.errors import EngineError

log = logging.getLogger(__name__)


class _Reader(QObject):
    page_read = Signal(int, int, object)  # generation, offset, rows or the error
    read_requested = Signal(int, object, int, int, object, object, object)

    def __init__(self) -> None:
        super().__init__()
        self.read_requested.connect(self._read)  # lives as long as the reader

    @Slot(int, object, int, int, object, object, object)
    def _read(
        self,
        generation: int,
        source: object,
        offset: int,
        limit: int,
        status: object,
        search: object,
        after: object,
    ) -> None:
        try:
            rows: object = source.page(
                offset,
                limit,
                status=status,  # type: ignore[attr-defined]
                search=search,
                after=after,
            )
        except EngineError as exc:
            log.warning("reading the queue failed", exc_info=True)
            rows = exc
        self.page_read.emit(generation, offset, rows)


class PageReader(QObject):
    """Owns the reader thread; ``request`` returns at once, ``page_read`` delivers."""

    page_read = Signal(int, int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("spantune-queue-reader")
        self._reader = _Reader()
        self._reader.moveToThread(self._thread)
        self._reader.page_read.connect(self.page_read)
        self._thread.start()

    def request(
        self,
        generation: int,
        source: object,
        offset: int,
        limit: int,
        status: str | None,
        search: str | None,
        after: float | None = None,
    ) -> None:
        """Read a page; ``after`` is the priority of the row before ``offset`` (cursor seek)."""
        self._reader.read_requested.emit(generation, source, offset, limit, status, search, after)

    def shutdown(self) -> None:
        self._thread.quit()
        self._thread.wait()
