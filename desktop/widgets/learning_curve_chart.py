"""F1 against labelled sentences across model versions, drawn with QPainter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

LINE = QColor("#0072B2")
GRID = QColor("#E3E3E3")
AXIS = QColor("#8A8A8A")


@dataclass(frozen=True)
class CurvePoint:
    sentences: int
    f1: float
    name: str
    active: bool = False
    ci: tuple[float, float] | None = None  # bootstrap interval of the F1, drawn as a bar


def nice_step(span: float, ticks: int = 4) -> float:
    raw = max(span, 1e-9) / ticks
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= raw:
            return m * magnitude
    return 10 * magnitude


class LearningCurveChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[CurvePoint] = []
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setToolTip("Held-out F1 of each version against the sentences it was trained on")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 180)

    def set_points(self, points: Sequence[CurvePoint]) -> None:
        self._points = sorted(points, key=lambda p: (p.sentences, p.name))
        self.update()

    @property
    def points(self) -> list[CurvePoint]:
        return list(self._points)

    def paintEvent(self, e: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        p.setFont(small)
        plot = QRectF(self.rect()).adjusted(38, 12, -14, -30)
        if not self._points:
            p.setPen(AXIS)
            p.drawText(
                QRectF(self.rect()),
                int(Qt.AlignmentFlag.AlignCenter),
                "Train a model to see the learning curve",
            )
            return
        x_max = max(p_.sentences for p_ in self._points)
        step_x = nice_step(x_max)
        x_top = max(step_x, step_x * -(-x_max // step_x))

        def at(pt: CurvePoint) -> QPointF:
            return QPointF(
                plot.left() + plot.width() * pt.sentences / x_top,
                plot.bottom() - plot.height() * pt.f1,
            )

        for i in range(6):  # y grid: 0, 0.2 … 1.0
            y = plot.bottom() - plot.height() * i / 5
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(AXIS)
            p.drawText(
                QRectF(0, y - 8, plot.left() - 6, 16),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                f"{i / 5:.1f}",
            )
        x = 0.0
        while x <= x_top + 1e-9:
            px = plot.left() + plot.width() * x / x_top
            p.drawText(
                QRectF(px - 30, plot.bottom() + 3, 60, 14),
                int(Qt.AlignmentFlag.AlignHCenter),
                f"{int(x):,}",
            )
            x += step_x
        p.drawText(
            QRectF(plot.left(), plot.bottom() + 15, plot.width(), 14),
            int(Qt.AlignmentFlag.AlignHCenter),
            "labelled sentences → F1",
        )
        path = QPainterPath(at(self._points[0]))
        for pt in self._points[1:]:
            path.lineTo(at(pt))
        p.setPen(QPen(LINE, 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setPen(QPen(LINE, 1))
        for pt in self._points:  # the bootstrap interval as a vertical bar
            if pt.ci:
                c = at(pt)
                p.drawLine(
                    QPointF(c.x(), plot.bottom() - plot.height() * pt.ci[0]),
                    QPointF(c.x(), plot.bottom() - plot.height() * pt.ci[1]),
                )
        for pt in self._points:
            c = at(pt)
            p.setPen(QPen(QColor("white"), 1.5))
            p.setBrush(QColor("#D55E00") if pt.active else LINE)
            p.drawEllipse(c, 5 if pt.active else 4, 5 if pt.active else 4)
        last = self._points[-1]
        p.setPen(AXIS)
        c = at(last)
        text = f"{last.f1:.2f}" + (f" ({last.ci[0]:.2f}\u2013{last.ci[1]:.2f})" if last.ci else "")
        p.drawText(QRectF(c.x() - 150, c.y() - 20, 144, 14), int(Qt.AlignmentFlag.AlignRight), text)
