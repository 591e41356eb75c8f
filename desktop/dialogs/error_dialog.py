"""The error dialog: what happened and what to do, with the technical details expandable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.errors import describe


def error_box(parent: QWidget | None, error: BaseException, context: str = "") -> QMessageBox:
    """A window-modal message box for ``error`` (not shown yet)."""
    message = describe(error, context)
    box = QMessageBox(parent)
    box.setObjectName("error_dialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(message.title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # file names and labels must show literally
    box.setText(message.text)
    if message.details:
        box.setDetailedText(message.details)  # "Show Details…" expands it
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


def show_error(parent: QWidget | None, error: BaseException, context: str = "") -> QMessageBox:
    """Show the error without blocking the event loop (jobs keep reporting meanwhile)."""
    box = error_box(parent, error, context)
    box.open()
    return box
