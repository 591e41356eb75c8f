"""The queue: segments in active-learning order, filterable by status and searchable."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from desktop.models.queue_model import QueueModel
from desktop.widgets.queue_delegate import QueueDelegate

FILTERS = (("To do", "todo"), ("Labelled", "labelled"), ("Skipped", "skipped"), ("All", None))


class QueuePanel(QWidget):
    segment_activated = Signal(int)

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.status_filter = QComboBox()
        for text, value in FILTERS:
            self.status_filter.addItem(text, value)
        self.status_filter.setToolTip("Which segments the queue lists")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search text…")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.count_label.setStyleSheet("color: palette(placeholder-text);")
        self.view = QListView()
        self.view.setModel(model)
        self.view.setItemDelegate(QueueDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.view.setToolTip("")
        self._search_timer = QTimer(self, singleShot=True, interval=250)

        top = QHBoxLayout()
        top.addWidget(self.status_filter)
        top.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Queue")
        title.setStyleSheet("font-weight: bold;")
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.count_label)
        layout.addLayout(header)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

        self.status_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.search.textChanged.connect(self._search_timer.start)
        self._search_timer.timeout.connect(self._on_filter_changed)
        self.view.clicked.connect(self._on_view_clicked)
        self.view.activated.connect(self._on_view_clicked)
        model.modelReset.connect(self._update_count)
        model.rowsInserted.connect(self._update_count)

    def apply_filter(self) -> None:
        self._on_filter_changed()

    def select_segment(self, segment_id: int) -> None:
        """Highlight ``segment_id`` if its row is loaded (never fetches the whole queue)."""
        row = self.model.row_of(segment_id)
        selection = self.view.selectionModel()
        if row < 0:
            selection.clearSelection()
            return
        index = self.model.index(row)
        selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.view.scrollTo(index)

    def _on_filter_changed(self, *_: object) -> None:
        self.model.set_filter(self.status_filter.currentData(), self.search.text().strip())

    def _on_view_clicked(self, index: QModelIndex) -> None:
        seg = index.data(QueueModel.SegmentIdRole)
        if seg is not None:
            self.segment_activated.emit(int(seg))

    def update_count(self) -> None:
        """Show how many segments match the filter now (after Enter, S, an undo …)."""
        self._update_count()

    def _update_count(self, *_: object) -> None:
        what = self.status_filter.currentText().lower()
        self.count_label.setText(f"{self.model.count_matching():,} {what}")
