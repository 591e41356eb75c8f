"""Where and in which format to export the labelled data (a save-file dialog)."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget

from engine.api import writers


def writer_filters() -> list[tuple[str, str]]:
    return [(f"{w.description} (*{w.extension})", w.name) for w in writers()]


def ask_export_target(parent: QWidget | None) -> tuple[str, str] | None:
    filters = writer_filters()
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export labelled data", "", ";;".join(f for f, _ in filters)
    )
    if not path:
        return None
    fmt = next((name for f, name in filters if f == chosen), filters[0][1])
    return path, fmt
