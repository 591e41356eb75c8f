"""A one-line label that elides its text to the width it gets and never asks for more.

A plain QLabel's minimum width is its whole text: a long progress line ("Training · epoch 3/10 ·
…") then widens the window. This one shows "…" instead and puts the full text in its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

PREFERRED_MAX = 420  # px a label asks for at most; it takes more when the layout has it


class ElidedLabel(QLabel):
    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    ) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self._tip = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def text(self) -> str:  # the full text, not the elided one on screen
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text
        self._elide()
        self.updateGeometry()

    def setToolTip(self, tip: str) -> None:  # noqa: N802
        self._tip = tip
        self._elide()

    def clear(self) -> None:
        self.setText("")

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        m = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self._full) + m.left() + m.right() + 2
        return QSize(min(width, PREFERRED_MAX), super().sizeHint().height())

    def resizeEvent(self, e: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(e)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        shown = self.fontMetrics().elidedText(self._full, self._mode, width)
        if shown != super().text():
            super().setText(shown)
        full_tip = self._full if shown != self._full else ""
        tip = "\n".join(t for t in (full_tip, self._tip) if t)
        QLabel.setToolTip(self, tip)
