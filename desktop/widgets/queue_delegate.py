"""Draws a queue row: a status dot, the segment text (one line, elided) and an eval badge."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.models.queue_model import QueueModel

STATUS_COLORS = {"todo": "#B0B0B0", "labelled": "#2E9E5B", "skipped": "#E0A030"}


class QueueDelegate(QStyledItemDelegate):
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        text = option.text
        option.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        rect = option.rect.adjusted(8, 0, -6, 0)
        status = index.data(QueueModel.StatusRole) or "todo"
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATUS_COLORS.get(status, "#B0B0B0")))
        cy = rect.center().y()
        painter.drawEllipse(QRectF(rect.left(), cy - 4, 8, 8))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        badge_w = 0
        if index.data(QueueModel.EvalRole):
            badge_w = 34
            badge = QRectF(rect.right() - badge_w + 4, cy - 8, badge_w - 4, 16)
            painter.setBrush(QColor("#E8EEF7") if not selected else QColor(255, 255, 255, 60))
            painter.drawRoundedRect(badge, 3, 3)
            painter.setPen(option.palette.color(role))
            small = painter.font()
            small.setPointSizeF(small.pointSizeF() * 0.8)
            painter.setFont(small)
            painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), "eval")
            painter.setFont(option.font)
        painter.setPen(option.palette.color(role))
        if status != "todo" and not selected:
            painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        text_rect = rect.adjusted(16, 0, -badge_w, 0)
        elided = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter), elided)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(200, option.fontMetrics.height() + 12)
