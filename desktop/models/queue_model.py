"""The labelling queue as a lazily fetched list model (a project may hold 100,000 segments)."""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from desktop.models.page_reader import PageReader
from desktop.services.queue_source import QueueRow, QueueSource
from desktop.services.workers import wait_until

BATCH = 200
PREVIEW_CHARS = 240
_SPACES = re.compile(r"\s+")

Index = QModelIndex | QPersistentModelIndex


class QueueModel(QAbstractListModel):
    SegmentIdRole = Qt.ItemDataRole.UserRole + 1
    StatusRole = Qt.ItemDataRole.UserRole + 2
    ScoreRole = Qt.ItemDataRole.UserRole + 3
    EvalRole = Qt.ItemDataRole.UserRole + 4

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._source: QueueSource | None = None
        self._rows: list[QueueRow] = []
        self._row_of: dict[int, int] = {}
        self._total = 0
        self._status: str | None = "todo"
        self._search: str | None = None
        self._generation = 0
        self._loading = False
        self._reader = PageReader(self)
        self._reader.page_read.connect(self._on_reader_page_read)

    # -- configuration -------------------------------------------------------------------------
    def set_source(self, source: QueueSource | None) -> None:
        if source is None:
            self.wait_idle()  # the project is about to close: no read may still be running
        self._source = source
        self.reload()

    def shutdown(self) -> None:
        """Stop the reader thread (call before the model goes away)."""
        self._generation += 1
        self._reader.shutdown()

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        return wait_until(lambda: not self._loading, (self._reader.page_read,), timeout_s)

    @property
    def loading(self) -> bool:
        return self._loading

    def set_filter(self, status: str | None, search: str | None = None) -> None:
        self._status = status
        self._search = search or None
        self.reload()

    @property
    def total(self) -> int:
        """Rows matching the filter (fetched or not)."""
        return self._total

    def reload(self) -> None:
        self._generation += 1
        self._loading = False
        self.beginResetModel()
        self._rows = []
        self._row_of = {}
        self._total = (
            self._source.count(status=self._status, search=self._search)
            if self._source is not None
            else 0
        )
        self.endResetModel()
        if self.canFetchMore():  # the first page now, so the current segment can be selected
            self._insert(
                0,
                self._source.page(
                    0,
                    BATCH,
                    status=self._status,  # type: ignore
                    search=self._search,
                ),
            )

    def refresh_segment(self, segment_id: int) -> None:
        """Re-read one fetched row (its status changed) without moving anything."""
        row = self._row_of.get(segment_id)
        if row is None or self._source is None:
            return
        fresh = self._source.row(segment_id)
        old = self._rows[row]
        self._rows[row] = QueueRow(
            old.segment_id, old.text, fresh.status, old.score, old.is_eval, old.priority
        )
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def count_matching(self) -> int:
        """Segments matching the filter now (statuses change under fetched rows, which stay)."""
        if self._source is None:
            return 0
        return self._source.count(status=self._status, search=self._search)

    def row_of(self, segment_id: int) -> int:
        return self._row_of.get(segment_id, -1)

    def segment_at(self, row: int) -> int | None:
        return self._rows[row].segment_id if 0 <= row < len(self._rows) else None

    # -- Qt model -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return (
            not parent.isValid()
            and self._source is not None
            and not self._loading
            and len(self._rows) < self._total
        )

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        """Ask the reader thread for the next page (rows are inserted when it arrives)."""
        if not self.canFetchMore(parent):
            return
        self._loading = True
        after = self._rows[-1].priority if self._rows else None
        self._reader.request(
            self._generation,
            self._source,
            len(self._rows),
            BATCH,
            self._status,
            self._search,
            after,
        )

    def _on_reader_page_read(self, generation: int, offset: int, rows: object) -> None:
        if generation != self._generation:
            return  # an answer for a queue that was reset meanwhile
        self._loading = False
        if isinstance(rows, list) and offset == len(self._rows):
            self._insert(offset, rows)
        else:
            self._total = len(self._rows)  # a failed read: stop fetching (details logged)

    def _insert(self, start: int, page: list[QueueRow]) -> None:
        page = page[: max(0, self._total - start)]
        if not page:
            self._total = start  # the queue shrank since it was counted
            return
        self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
        for i, row in enumerate(page):
            self._row_of[row.segment_id] = start + i
        self._rows.extend(page)
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _SPACES.sub(" ", row.text[:PREVIEW_CHARS]).strip()
        if role == Qt.ItemDataRole.ToolTipRole:
            # tooltips detect rich text: escape, so file text always shows literally
            text = html.escape(row.text[:1000])
            return f"<p style='white-space:pre-wrap'>{text}</p>"
        if role == self.SegmentIdRole:
            return row.segment_id
        if role == self.StatusRole:
            return row.status
        if role == self.ScoreRole:
            return row.score
        if role == self.EvalRole:
            return row.is_eval
        return None
