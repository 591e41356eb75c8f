"""The label palette: one button per label (colour, hotkey, name); click to label."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSizePolicy, QToolButton, QWidget

from desktop.widgets.flow_layout import FlowLayout
from desktop.widgets.span_editor import menu_text
from engine.types import Label


def _button_style(color: str) -> str:
    base = QColor(color)
    light = QColor(base)
    light.setAlpha(70)
    rgba = f"rgba({light.red()},{light.green()},{light.blue()},{light.alpha()})"
    border, hover, checked = (
        base.darker(115).name(),
        base.lighter(115).name(),
        base.darker(125).name(),
    )
    return (
        f"QToolButton {{ background: {rgba}; border: 1px solid {border};"
        f" border-left: 5px solid {base.name()}; border-radius: 4px; padding: 3px 9px;"
        f" color: #1F1F1F; }}"
        f" QToolButton:hover {{ background: {hover}; }}"
        f" QToolButton:checked {{ background: {checked}; color: white; font-weight: bold; }}"
    )


class LabelPalette(QWidget):
    label_chosen = Signal(str)
    manage_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = FlowLayout(self, spacing=6)
        self._buttons: dict[str, QToolButton] = {}
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def set_labels(self, labels: Sequence[Label]) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        self._buttons = {}
        for lab in labels:
            button = QToolButton(self)
            key = f"{lab.hotkey}  " if lab.hotkey else ""
            button.setText(key + menu_text(lab.name))
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep the keyboard in the editor
            button.setStyleSheet(_button_style(lab.color))
            hint = f"key {lab.hotkey}" if lab.hotkey else "no hotkey"
            button.setToolTip(f"Label the selection (or the selected span) — {hint}")
            button.setProperty("label_name", lab.name)
            button.clicked.connect(lambda _=False, name=lab.name: self._on_button_clicked(name))
            self._layout.addWidget(button)
            self._buttons[lab.name] = button
        manage = QToolButton(self)
        manage.setText("Labels…")
        manage.setAutoRaise(True)
        manage.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        manage.setToolTip("Add, rename, recolour, reorder or delete labels")
        manage.clicked.connect(self.manage_requested)
        self._layout.addWidget(manage)
        self.updateGeometry()

    def button(self, name: str) -> QToolButton | None:
        return self._buttons.get(name)

    def set_current(self, name: str | None) -> None:
        """Check the button of the selected span's label (none when nothing is selected)."""
        for label, button in self._buttons.items():
            button.setChecked(label == name)

    def _on_button_clicked(self, name: str) -> None:
        self.label_chosen.emit(name)
