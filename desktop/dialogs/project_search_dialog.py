"""Find a text across the project (whole words) and label its hits in one undoable step."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.session import Session
from engine.errors import EngineError

SHOWN = 500
CONTEXT = 40


class ProjectSearchDialog(QDialog):
    segment_chosen = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Find in Project")
        self.resize(640, 480)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Text to find (whole words)…")
        self.case = QCheckBox("Ignore case")
        self.hits = QListWidget()
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.labels = QComboBox()
        project = session.project
        for lab in project.labels.get_all() if project else []:
            self.labels.addItem(lab.name, lab.name)
        self.apply = QPushButton("Label All Hits")
        self.apply.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.case)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(QLabel("as"))
        bottom.addWidget(self.labels)
        bottom.addWidget(self.apply)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.hits, 1)
        layout.addLayout(bottom)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.search)
        self.query.textChanged.connect(self._timer.start)
        self.case.toggled.connect(self.search)
        self.labels.currentIndexChanged.connect(self.search)
        self.hits.itemActivated.connect(self._on_hits_item_activated)
        self.apply.clicked.connect(self.label_hits)

    def search(self) -> None:
        self.hits.clear()
        project, text = self.session.project, self.query.text().strip()
        found = []
        if project is not None and text:
            try:
                found = project.find_occurrences(
                    text, ignore_case=self.case.isChecked(), label=str(self.labels.currentData())
                )
            except EngineError as exc:
                self.summary.setText(str(exc))
                self.apply.setEnabled(False)
                return
        for occ in found[:SHOWN]:
            seg = project.segment(occ.segment_id)  # type: ignore[union-attr]
            a, b = occ.start - seg.start, occ.end - seg.start
            before = seg.text[max(0, a - CONTEXT) : a].replace("\n", " ")
            after = seg.text[b : b + CONTEXT].replace("\n", " ")
            mark = {None: "", "same": "  ✓"}.get(occ.existing, f"  [{occ.existing}]")
            item = QListWidgetItem(f"…{before}[{occ.text}]{after}…{mark}")
            item.setData(Qt.ItemDataRole.UserRole, occ.segment_id)
            self.hits.addItem(item)
        free = sum(o.existing is None for o in found)
        self.summary.setText(f"{len(found)} hits, {free} to label" if text else "")
        self.apply.setEnabled(free > 0)

    def label_hits(self) -> None:
        from desktop.services.assist import label_all

        text = self.query.text().strip()
        if (
            text
            and label_all(
                self.session,
                text,
                str(self.labels.currentData()),
                ignore_case=self.case.isChecked(),
            )
            is not None
        ):
            self.search()

    def _on_hits_item_activated(self, item: QListWidgetItem) -> None:
        self.segment_chosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))
