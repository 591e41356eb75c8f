"""Trained model versions with their held-out scores, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from engine.types import ModelVersion

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Version", "F1", "Sentences", "Trained")


def version_f1(version: ModelVersion) -> float | None:
    value = version.metrics.get("f1")
    return float(value) if isinstance(value, int | float) else None


def version_sentences(version: ModelVersion) -> int | None:
    """How many labelled sentences the version was trained on (the learning curve's x)."""
    for key in ("train_sentences", "labelled_segments", "labelled_sentences", "train"):
        value = version.counts.get(key)
        if isinstance(value, int | float):
            return int(value)
    return None


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


class VersionTableModel(QAbstractTableModel):
    VersionRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._versions: list[ModelVersion] = []

    def set_versions(self, versions: Sequence[ModelVersion]) -> None:
        self.beginResetModel()
        self._versions = list(reversed(versions))
        self.endResetModel()

    def version_at(self, row: int) -> ModelVersion | None:
        return self._versions[row] if 0 <= row < len(self._versions) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._versions)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        v = self.version_at(index.row()) if index.isValid() else None
        if v is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                if v.weights_deleted:
                    return f"{v.name} (scores only)"
                return f"{v.name}  ●" if v.active else v.name
            if col == 1:
                return fmt_score(version_f1(v))
            if col == 2:
                n = version_sentences(v)
                return "—" if n is None else str(n)
            return v.created_at[5:16].replace("T", " ")  # MM-DD hh:mm
        if role == Qt.ItemDataRole.ForegroundRole and v.weights_deleted:
            return QColor("#8A8A8A")
        if role == Qt.ItemDataRole.FontRole and v.active:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            msg = v.metrics.get("message")
            tip = (
                "Active version (suggestions come from it)"
                if v.active
                else "Double-click to make this the active version"
            )
            if v.weights_deleted:
                tip = (
                    "Weights deleted to save disk space (project setting keep_weights); "
                    "its scores stay. It cannot be activated: retrain for a new model."
                )
            tip += f"\nTrained {v.created_at[:19].replace('T', ' ')} from {v.base_model}"
            return f"{tip}\n{msg}" if msg else tip
        if role == self.VersionRole:
            return v.name
        return None
