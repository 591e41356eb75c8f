"""The project's labels (name, colour swatch, hotkey) for the label manager."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from engine.types import Label

Index = QModelIndex | QPersistentModelIndex


def swatch(color: str, size: int = 14) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(QColor(0, 0, 0, 0))
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(color))
    p.setPen(QColor(color).darker(140))
    p.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    p.end()
    return QIcon(pix)


class LabelListModel(QAbstractListModel):
    NameRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._labels: list[Label] = []
        self._usage: dict[str, int] = {}

    def set_labels(self, labels: Sequence[Label], usage: dict[str, int] | None = None) -> None:
        self.beginResetModel()
        self._labels = list(labels)
        self._usage = dict(usage or {})
        self.endResetModel()

    def label_at(self, row: int) -> Label | None:
        return self._labels[row] if 0 <= row < len(self._labels) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._labels)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        lab = self.label_at(index.row()) if index.isValid() else None
        if lab is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            key = f"[{lab.hotkey}]  " if lab.hotkey else "     "
            n = self._usage.get(lab.name)
            return f"{key}{lab.name}" + (f"   ({n} spans)" if n is not None else "")
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch(lab.color)
        if role == self.NameRole:
            return lab.name
        return None
