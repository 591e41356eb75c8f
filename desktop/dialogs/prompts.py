"""Small yes/no questions (kept here so tests can answer them without a modal loop)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def _ask(parent: QWidget | None, title: str, text: str, yes: str, no: str = "Cancel") -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes_button)
    box.exec()
    return box.clickedButton() is yes_button


def ask_open_read_only(parent: QWidget | None, path: str) -> bool:
    return _ask(
        parent,
        "Project in use",
        f"{path}\n\nis open in another Spantune window. Open it read-only to look "
        "without changing anything?",
        "Open read-only",
    )


def confirm_delete_label(parent: QWidget | None, name: str, spans: int) -> bool:
    what = f"and its {spans:,} span{'s' if spans != 1 else ''}" if spans else "(no spans use it)"
    return _ask(
        parent,
        "Delete label",
        f"Delete the label “{name}” {what}? This cannot be undone.",
        "Delete",
    )


def confirm_quit_during_job(parent: QWidget | None, question: str) -> bool:
    """``question``: what is running and what quitting keeps (see ``job_messages``)."""
    return _ask(parent, "A job is running", question, "Stop it and quit", "Keep running")


def confirm_retrain_unchanged(parent: QWidget | None, version: str) -> bool:
    return _ask(
        parent,
        "Nothing new to learn",
        f"Nothing new to learn: {version} was trained on exactly the labels there are "
        "now, so a new run would give about the same model. Label or correct a few more "
        "segments first, or retrain anyway (for example with other settings).",
        "Retrain anyway",
    )


def confirm_delete_version(parent: QWidget | None, name: str) -> bool:
    return _ask(
        parent,
        "Delete version",
        f"Delete {name} with its weights and scores? This "
        "cannot be undone; the labels are not touched.",
        "Delete",
    )
