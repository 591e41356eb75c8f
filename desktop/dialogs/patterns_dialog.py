"""Labels → Patterns…: the project's patterns and dictionaries (their matches are suggestions)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import describe
from desktop.services.session import Session
from engine.api import read_patterns
from engine.errors import EngineError

HINT = (
    'Load spaCy/Prodigy pattern JSONL ({"label": "ORG", "pattern": "Apple"} or token '
    "patterns) or a term list (one term a line, for one label). Matches become suggestions "
    "on segments still to do; you accept or reject them like the model's."
)


class PatternsDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Patterns")
        self.resize(560, 420)
        self.view = QListWidget()
        self.view.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        hint = QLabel(HINT)
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text);")
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        side = QVBoxLayout()
        for text, slot in (
            ("Load Patterns…", self.load_patterns),
            ("Load Term List…", self.load_terms),
            ("Remove", self.remove_selected),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            side.addWidget(button)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.view, 1)
        row.addLayout(side)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(row, 1)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.refresh()

    def refresh(self, message: str = "") -> None:
        self.view.clear()
        project = self.session.project
        for p in project.patterns() if project else []:
            shown = (
                p.pattern
                if isinstance(p.pattern, str)
                else json.dumps(p.pattern, ensure_ascii=False)
            )
            item = QListWidgetItem(f"{p.label}\t{shown}")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.view.addItem(item)
        if project is not None:
            n = project.suggestions_by_source()["pattern"]
            self.status.setText(
                (message + " " if message else "")
                + f"{self.view.count()} patterns, {n} pattern suggestions."
            )

    def load_file(self, path: str, label: str | None = None) -> bool:
        project = self.session.project
        if project is None or not path:
            return False
        try:
            added, _ = project.add_patterns(read_patterns(path, label))
        except (EngineError, OSError) as exc:
            self.status.setText(describe(exc, "Loading patterns").text)
            return False
        self._changed()
        self.refresh(f"{added} new patterns.")
        return True

    def load_patterns(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Load patterns", "", "Patterns (*.jsonl *.json);;All files (*)"
        )
        self.load_file(path)

    def load_terms(self) -> None:
        project = self.session.project
        if project is None:
            return
        names = [lab.name for lab in project.labels.get_all()]
        label, ok = QInputDialog.getItem(self, "Term list", "Label of the terms:", names, 0, True)
        if not ok or not label:
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Load a term list", "", "Text (*.txt);;All files (*)"
        )
        self.load_file(path, label)

    def remove_selected(self) -> None:
        project = self.session.project
        ids = [int(i.data(Qt.ItemDataRole.UserRole)) for i in self.view.selectedItems()]
        if project is None or not ids:
            return
        try:
            project.remove_patterns(ids)
        except EngineError as exc:
            self.status.setText(describe(exc, "Removing patterns").text)
            return
        self._changed()
        self.refresh(f"Removed {len(ids)}.")

    def _changed(self) -> None:
        self.session.labels_changed.emit()  # new labels, and the editor shows new suggestions
        self.session.queue_changed.emit()
