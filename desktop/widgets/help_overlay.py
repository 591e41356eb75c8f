"""A translucent overlay listing every keyboard shortcut (? or F1; any key closes it)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Drag / Shift+arrows", "select text (snaps to whole words)"),
    ("1 – 9", "label the selection, or relabel the selected span"),
    ("Click a span", "select it; drag its edge to resize"),
    ("Delete / Backspace", "remove the selected span, reject the selected suggestion"),
    ("Click a suggestion", "accept it"),
    ("Space", "accept the selected suggestion, or the next one"),
    ("Tab / Shift+Tab", "select the next / previous span or suggestion"),
    ("A  /  R", "accept / reject all suggestions of the segment"),
    ("Enter", "mark labelled and go to the next in the queue"),
    ("S", "skip this segment"),
    ("Alt+Left / Alt+Right", "back / forward"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo"),
    ("Ctrl+T", "retrain the model"),
    ("Esc", "clear the selection"),
    ("? / F1", "show this help"),
)


class HelpOverlay(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hide()
        parent.installEventFilter(self)

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.setGeometry(self.parentWidget().rect())
            self.show()
            self.raise_()
            self.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802
        self.hide()

    def mousePressEvent(self, e: object) -> None:  # noqa: N802
        self.hide()

    def paintEvent(self, e: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(20, 24, 30, 170))
        key_font = QFont(self.font())
        key_font.setBold(True)
        key_w = max(QFontMetrics(key_font).horizontalAdvance(k) for k, _ in SHORTCUTS) + 28
        text_w = max(self.fontMetrics().horizontalAdvance(t) for _, t in SHORTCUTS) + 8
        row_h = self.fontMetrics().height() + 10
        card_w = min(self.width() - 40, 28 + key_w + text_w + 28)
        card_h = row_h * len(SHORTCUTS) + 110
        card = QRectF((self.width() - card_w) / 2, (self.height() - card_h) / 2, card_w, card_h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#FFFFFF"))
        p.drawRoundedRect(card, 10, 10)
        title = QFont(self.font())
        title.setPointSizeF(self.font().pointSizeF() * 1.4)
        title.setBold(True)
        p.setFont(title)
        p.setPen(QColor("#1F1F1F"))
        p.drawText(
            card.adjusted(28, 18, -28, 0), int(Qt.AlignmentFlag.AlignTop), "Keyboard shortcuts"
        )
        y = card.top() + 62
        for keys, what in SHORTCUTS:
            p.setFont(key_font)
            p.setPen(QColor("#0072B2"))
            p.drawText(
                QRectF(card.left() + 28, y, key_w, row_h), int(Qt.AlignmentFlag.AlignVCenter), keys
            )
            p.setFont(self.font())
            p.setPen(QColor("#333333"))
            p.drawText(
                QRectF(card.left() + 28 + key_w, y, text_w, row_h),
                int(Qt.AlignmentFlag.AlignVCenter),
                what,
            )
            y += row_h
        p.setPen(QColor("#888888"))
        p.drawText(
            QRectF(card.left(), card.bottom() - 34, card_w, 20),
            int(Qt.AlignmentFlag.AlignHCenter),
            "Press any key to close",
        )
