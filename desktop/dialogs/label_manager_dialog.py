"""Manage labels: add, rename, recolour, hotkey, reorder, delete (with the spans it removes)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.dialogs import prompts
from desktop.errors import describe
from desktop.models.label_list_model import LabelListModel
from desktop.services.session import Session
from engine.types import Label

HINT = "Renaming keeps every span; deleting a label deletes its spans."


class LabelManagerDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Labels")
        self.resize(460, 420)
        self.model = LabelListModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.hotkey_combo = QComboBox()
        self.hotkey_combo.addItem("No hotkey", None)
        for key in "123456789":
            self.hotkey_combo.addItem(f"Key {key}", key)
        self.hint = QLabel(HINT)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        side = QVBoxLayout()
        for text, slot in (
            ("Add…", self._on_add_clicked),
            ("Rename…", self._on_rename_clicked),
            ("Colour…", self._on_color_clicked),
            ("Move up", self._on_up_clicked),
            ("Move down", self._on_down_clicked),
            ("Delete…", self._on_delete_clicked),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            side.addWidget(button)
        side.addWidget(QLabel("Hotkey"))
        side.addWidget(self.hotkey_combo)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.view, 1)
        row.addLayout(side)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.view.selectionModel().currentChanged.connect(self._on_view_current_changed)
        self.hotkey_combo.activated.connect(self._on_hotkey_combo_activated)
        session.labels_changed.connect(self.reload)
        session.labels_changed.connect(self._on_session_labels_changed)
        session.write_failed.connect(self._on_session_write_failed)
        self.reload()

    # -- operations (the buttons prompt, then call these; tests call them directly) -------------
    def reload(self) -> None:
        project = self.session.project
        labels = project.labels.get_all() if project else []
        current = self.current()
        usage = {lab.name: self.session.label_usage(lab.name) for lab in labels}
        self.model.set_labels(labels, usage)
        if current is not None:
            self.select(current.name)

    def current(self) -> Label | None:
        return self.model.label_at(self.view.currentIndex().row())

    def select(self, name: str) -> None:
        for row in range(self.model.rowCount()):
            lab = self.model.label_at(row)
            if lab is not None and lab.name == name:
                self.view.setCurrentIndex(self.model.index(row))

    def add_label(self, name: str) -> bool:
        ok = self.session.change_labels("add", name.strip())
        if ok:
            self.select(name.strip())
        return ok

    def rename_current(self, new: str) -> bool:
        lab = self.current()
        ok = lab is not None and self.session.change_labels("rename", lab.name, new.strip())
        if ok:
            self.select(new.strip())
        return ok

    def delete_current(self, confirm: bool = True) -> bool:
        lab = self.current()
        if lab is None:
            return False
        spans = self.session.label_usage(lab.name)
        if confirm and not prompts.confirm_delete_label(self, lab.name, spans):
            return False
        return self.session.change_labels("remove", lab.name)

    def move_current(self, step: int) -> bool:
        lab = self.current()
        if lab is None:
            return False
        names = [x.name for x in self.session.project.labels.get_all()]  # type: ignore[union-attr]
        i = names.index(lab.name)
        j = i + step
        if not 0 <= j < len(names):
            return False
        names[i], names[j] = names[j], names[i]
        return self.session.change_labels("reorder", names)

    # -- slots -------------------------------------------------------------------------------------
    def _on_session_write_failed(self, error: BaseException) -> None:
        self.hint.setStyleSheet("color: #C62828;")
        self.hint.setText(describe(error).text)

    def _on_session_labels_changed(self) -> None:
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.hint.setText(HINT)

    def _on_add_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, "Add label", "Label name:")
        if ok and name.strip():
            self.add_label(name)

    def _on_rename_clicked(self) -> None:
        lab = self.current()
        if lab is None:
            return
        name, ok = QInputDialog.getText(self, "Rename label", "New name:", text=lab.name)
        if ok and name.strip() and name.strip() != lab.name:
            self.rename_current(name)

    def _on_color_clicked(self) -> None:
        lab = self.current()
        if lab is None:
            return
        color = QColorDialog.getColor(QColor(lab.color), self, f"Colour of {lab.name}")
        if color.isValid():
            self.session.change_labels("set_color", lab.name, color.name())

    def _on_up_clicked(self) -> None:
        self.move_current(-1)

    def _on_down_clicked(self) -> None:
        self.move_current(1)

    def _on_delete_clicked(self) -> None:
        self.delete_current()

    def _on_view_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        lab = self.model.label_at(current.row())
        index = self.hotkey_combo.findData(lab.hotkey if lab else None)
        self.hotkey_combo.setCurrentIndex(max(index, 0))

    def _on_hotkey_combo_activated(self, _index: int) -> None:
        lab = self.current()
        if lab is not None:
            self.session.change_labels("set_hotkey", lab.name, self.hotkey_combo.currentData())
