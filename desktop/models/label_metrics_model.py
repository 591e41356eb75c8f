"""Per-label precision, recall and F1 of one model version (held-out data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.models.version_table_model import fmt_score

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Label", "P", "R", "F1", "Support")
_KEYS = ("precision", "recall", "f1", "support")


class LabelMetricsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, dict[str, Any]]] = []

    def set_metrics(self, metrics: Mapping[str, Any] | None) -> None:
        """``metrics`` as the engine stores them: ``{"per_label": {name: {precision, …}}, …}``."""
        self.beginResetModel()
        per_label = (metrics or {}).get("per_label") or {}
        self._rows = [(str(name), dict(values)) for name, values in per_label.items()]
        if self._rows and (metrics or {}).get("f1") is not None:
            total = sum(int(v.get("support") or 0) for _, v in self._rows)
            self._rows.append(
                ("All (micro)", {k: metrics.get(k) for k in _KEYS[:3]} | {"support": total})
            )
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return ("Label", "Precision", "Recall", "F1 score", "Entities in the held-out sample")[
                section
            ]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        name, values = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return name
            value = values.get(_KEYS[col - 1])
            if col == 4:
                return "—" if value is None else str(int(value))
            return fmt_score(None if value is None else float(value))
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
