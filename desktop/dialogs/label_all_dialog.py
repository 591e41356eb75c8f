"""Confirm "label all other occurrences of X as L", with how many there are."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from desktop.services.session import Session
from engine.errors import EngineError


def count_text(matches: int, free: int, same: int, overlap: int) -> str:
    if matches == 0:
        return "No whole-word occurrences in the project."
    return (
        f"{matches} occurrences: {free} will be labelled, {same} are labelled already, "
        f"{overlap} overlap another span and will be skipped."
    )


class LabelAllDialog(QDialog):
    def __init__(
        self, session: Session, text: str, label: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.text = session, text
        self.setWindowTitle("Label All Occurrences")
        self.what = QLabel(f"Label every other whole-word occurrence of “{text}” as:")
        self.what.setTextFormat(Qt.TextFormat.PlainText)
        self.what.setWordWrap(True)
        self.labels = QComboBox()
        project = session.project
        for lab in project.labels.get_all() if project else []:
            self.labels.addItem(lab.name, lab.name)
        self.labels.setCurrentIndex(max(0, self.labels.findData(label)))
        self.case = QCheckBox("Ignore case")
        self.counts = QLabel()
        self.counts.setTextFormat(Qt.TextFormat.PlainText)
        self.counts.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Label All")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.what)
        form.addRow("Label", self.labels)
        form.addRow(self.case)
        form.addRow(self.counts)
        form.addRow(self.buttons)
        self.case.toggled.connect(self._recount)
        self.labels.currentIndexChanged.connect(self._recount)
        self.free = 0
        self._recount()

    def label(self) -> str:
        return str(self.labels.currentData())

    def ignore_case(self) -> bool:
        return self.case.isChecked()

    def _recount(self, *_: object) -> None:
        project = self.session.project
        try:
            found = (
                project.find_occurrences(
                    self.text, ignore_case=self.ignore_case(), label=self.label()
                )
                if project
                else []
            )
        except EngineError as exc:
            self.counts.setText(str(exc))
            found = []
        self.free = sum(o.existing is None for o in found)
        same = sum(o.existing == "same" for o in found)
        self.counts.setText(count_text(len(found), self.free, same, len(found) - self.free - same))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.free > 0)
