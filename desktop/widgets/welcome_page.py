"""First screen without a project: new project, open project, the demo, recent projects."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def _big_button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.setMinimumHeight(44)
    button.setStyleSheet("QPushButton { padding: 8px 18px; font-size: 11pt; }")
    return button


class WelcomePage(QWidget):
    new_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()
    recent_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Spantune")
        title.setStyleSheet("font-size: 26pt; font-weight: bold; color: #0072B2;")
        subtitle = QLabel(
            "Label entities in your own texts, retrain in one click, export an ONNX model."
        )
        subtitle.setStyleSheet("font-size: 11pt; color: #555;")
        self.new_button = _big_button("New project…", "Create a project folder with your labels")
        self.open_button = _big_button("Open project…", "Open a .spantune project folder")
        self.demo_button = _big_button(
            "Try the demo project", "News sentences with PER/ORG/LOC/MISC, a few labelled"
        )
        self.demo_button.setStyleSheet(
            "QPushButton { padding: 8px 18px; font-size: 11pt; background: #0072B2;"
            " color: white; border-radius: 4px; border: none; }"
            " QPushButton:hover { background: #005A8C; }"
        )
        self.recent_title = QLabel("Recent projects")
        self.recent_title.setStyleSheet("font-weight: bold; margin-top: 12px;")
        self.recent_list = QListWidget()
        self.recent_list.setMaximumHeight(180)
        self.recent_list.setToolTip("Double-click to open")

        buttons = QHBoxLayout()
        for b in (self.demo_button, self.new_button, self.open_button):
            buttons.addWidget(b)
        column = QVBoxLayout()
        column.addStretch(2)
        column.addWidget(title)
        column.addWidget(subtitle)
        column.addSpacing(24)
        column.addLayout(buttons)
        column.addWidget(self.recent_title)
        column.addWidget(self.recent_list)
        column.addStretch(3)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 3)
        outer.addStretch(1)

        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        self.recent_list.itemActivated.connect(self._on_recent_list_item_activated)

    def set_recent(self, paths: Sequence[str]) -> None:
        self.recent_list.clear()
        for path in paths:
            item = QListWidgetItem(f"{Path(path).name}    —    {Path(path).parent}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip("")
            self.recent_list.addItem(item)
        self.recent_title.setVisible(bool(paths))
        self.recent_list.setVisible(bool(paths))

    def _on_recent_list_item_activated(self, item: QListWidgetItem) -> None:
        self.recent_requested.emit(str(item.data(Qt.ItemDataRole.UserRole)))
