"""New project: name and folder, the labels, the base model."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

DEFAULT_LABELS = ("PER", "ORG", "LOC", "MISC")


def default_labels() -> list[str]:
    from engine.api import demo_labels

    try:
        return [str(lab["name"]) for lab in demo_labels()]
    except (OSError, ValueError, KeyError):
        return list(DEFAULT_LABELS)


class NewProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.setMinimumWidth(520)
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        self.name_edit = QLineEdit("my-entities")
        self.folder_edit = QLineEdit(docs or str(Path.home()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        self.labels_edit = QPlainTextEdit("\n".join(default_labels()))
        self.labels_edit.setPlaceholderText("One label per line, e.g. PER")
        self.labels_edit.setFixedHeight(120)
        self.base_combo = QComboBox()
        self.base_combo.addItem("Bundled MiniLM-L6 encoder (fast, English)", "bundled")
        self.base_combo.addItem("Another Hugging Face model folder…", "")
        self.base_combo.activated.connect(self._on_base_combo_activated)
        self.path_preview = QLabel()
        self.path_preview.setTextFormat(Qt.TextFormat.PlainText)
        self.path_preview.setStyleSheet("color: palette(placeholder-text);")
        self.error_label = QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet("color: #C62828;")

        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Folder", folder_row)
        form.addRow("", self.path_preview)
        form.addRow("Labels", self.labels_edit)
        form.addRow("Base model", self.base_combo)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._update_preview)
        self.folder_edit.textChanged.connect(self._update_preview)
        self._update_preview()

    # -- results -------------------------------------------------------------------------------
    def project_path(self) -> Path:
        return Path(self.folder_edit.text().strip()) / f"{self.name_edit.text().strip()}.spantune"

    def labels(self) -> list[str]:
        seen: dict[str, None] = {}
        for line in self.labels_edit.toPlainText().splitlines():
            if line.strip():
                seen[line.strip()] = None
        return list(seen)

    def settings(self) -> dict[str, str]:
        return {"base_model": str(self.base_combo.currentData() or "bundled")}

    # -- slots -------------------------------------------------------------------------------------
    def _update_preview(self) -> None:
        self.path_preview.setText(f"Creates {self.project_path()}")

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Where to create the project", self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)

    def _on_base_combo_activated(self, index: int) -> None:
        if self.base_combo.itemData(index):
            return
        folder = QFileDialog.getExistingDirectory(self, "Hugging Face model folder")
        if folder:
            self.base_combo.insertItem(1, folder, folder)
            self.base_combo.setCurrentIndex(1)
        else:
            self.base_combo.setCurrentIndex(0)

    def _on_buttons_accepted(self) -> None:
        name = self.name_edit.text().strip()
        if not name or any(c in name for c in '/\\:*?"<>|'):
            self.error_label.setText('Give the project a name without / \\ : * ? " < > |')
            return
        if not self.labels():
            self.error_label.setText("Add at least one label (you can add more later).")
            return
        if self.project_path().exists():
            self.error_label.setText("A project with this name already exists there.")
            return
        self.accept()
