"""Drawing spans (tinted background + label tag) and suggestions (dashed outline) on the editor."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen


@dataclass(frozen=True)
class DrawnItem:
    """A span or suggestion as the editor draws it, in Qt positions."""

    kind: str  # "span" | "suggestion"
    id: int
    start: int
    end: int
    label: str
    color: str
    score: float | None = None

    @property
    def tag(self) -> str:
        if self.kind == "suggestion" and self.score is not None:
            return f"{self.label} {self.score:.2f}"
        return self.label


def tag_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(6.5, base.pointSizeF() * 0.68))
    font.setBold(True)
    return font


def paint_under(p: QPainter, item: DrawnItem, rects: list[QRectF], focused: bool) -> None:
    """Backgrounds, painted before the text."""
    color = QColor(item.color)
    p.setPen(Qt.PenStyle.NoPen)
    if item.kind == "span":
        fill = QColor(color)
        fill.setAlpha(120 if focused else 78)
        p.setBrush(fill)
        for r in rects:
            p.drawRoundedRect(r.adjusted(-1, -1, 1, 1), 3, 3)
    else:
        fill = QColor(color)
        fill.setAlpha(40 if focused else 22)
        p.setBrush(fill)
        for r in rects:
            p.drawRoundedRect(r.adjusted(-1, -1, 1, 1), 3, 3)


def tag_boxes(
    drawn: list[tuple[DrawnItem, list[QRectF]]], base: QFont, max_right: float = float("inf")
) -> list[QRectF | None]:
    """Where each item's tag goes (one per item, in order; None: no room for a tag).

    A tag sits under its item's first rect, moved right past the tag before it on the same
    line, so tags of short neighbouring words never overlap. When a line's tags would then pass
    ``max_right`` (the viewport's edge), that line's tags stay under their words instead, each
    cut at the next word (their text elides; the tooltip keeps the full label).
    """
    out: list[QRectF | None] = [None] * len(drawn)
    lines: dict[int, list[int]] = {}
    for i, (_, rects) in enumerate(drawn):
        if rects:
            lines.setdefault(round(rects[0].top()), []).append(i)
    for members in lines.values():
        members.sort(key=lambda i: drawn[i][1][0].left())
        shifted = _line_boxes(drawn, members, base, packed=True, max_right=max_right)
        fits = all(b.right() <= max_right for b in shifted)
        boxes = (
            shifted
            if fits
            else _line_boxes(drawn, members, base, packed=False, max_right=max_right)
        )
        for i, box in zip(members, boxes, strict=True):
            out[i] = box if box.width() >= 8 else None
    return out


def _line_boxes(
    drawn: list[tuple[DrawnItem, list[QRectF]]],
    members: list[int],
    base: QFont,
    *,
    packed: bool,
    max_right: float,
) -> list[QRectF]:
    boxes: list[QRectF] = []
    right = float("-inf")
    for n, i in enumerate(members):
        item, rects = drawn[i]
        fm = QFontMetricsF(_tag_font(item, base))
        anchor = rects[0]
        width = fm.horizontalAdvance(item.tag) + 8
        if packed:
            left = max(anchor.left() - 1, right + 3)
        else:
            left = max(anchor.left() - 1, right + 2)
            nxt = drawn[members[n + 1]][1][0].left() - 3 if n + 1 < len(members) else max_right
            width = max(0.0, min(width, nxt - left, max_right - left))
        box = QRectF(left, anchor.bottom() + 3, width, fm.height() + 1)
        right = box.right()
        boxes.append(box)
    return boxes


def paint_over(
    p: QPainter,
    item: DrawnItem,
    rects: list[QRectF],
    focused: bool,
    font: QFont,
    box: QRectF | None = None,
) -> None:
    """Underline/outline and the label tag, painted after the text."""
    if not rects:
        return
    color = QColor(item.color)
    dark = color.darker(150)
    if item.kind == "span":
        p.setPen(QPen(dark if focused else color.darker(115), 2.0))
        for r in rects:
            p.drawLine(QPointF(r.left(), r.bottom() + 1), QPointF(r.right(), r.bottom() + 1))
        if focused:
            p.setPen(QPen(dark, 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            for r in rects:
                p.drawRoundedRect(r.adjusted(-2, -2, 2, 2), 3, 3)
            _handles(p, rects, dark)
    else:
        pen = QPen(dark if focused else color.darker(120), 2.0 if focused else 1.4)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for r in rects:
            p.drawRoundedRect(r.adjusted(-1.5, -1.5, 1.5, 1.5), 3, 3)
    if box is not None:
        _tag(p, item, box, focused, font)


def _handles(p: QPainter, rects: list[QRectF], color: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    first, last = rects[0], rects[-1]
    for x, r in ((first.left() - 2, first), (last.right() + 2, last)):
        p.drawRoundedRect(QRectF(x - 1.5, r.top() - 2, 3, r.height() + 4), 1.5, 1.5)


def _tag_font(item: DrawnItem, base: QFont) -> QFont:
    font = tag_font(base)
    if item.kind == "suggestion":
        font.setBold(False)
        font.setItalic(True)
    return font


def _tag(p: QPainter, item: DrawnItem, box: QRectF, focused: bool, base: QFont) -> None:
    font = _tag_font(item, base)
    text = item.tag
    color = QColor(item.color)
    path = QPainterPath()
    path.addRoundedRect(box, 3, 3)
    if item.kind == "span":
        bg = color.darker(135) if focused else color.darker(112)
        p.fillPath(path, bg)
        fg = QColor("#FFFFFF") if _dark(bg) else QColor("#1A1A1A")
    else:
        p.fillPath(path, QColor(255, 255, 255, 235))
        pen = QPen(color.darker(125), 1.0)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.strokePath(path, pen)
        fg = color.darker(170)
    p.setFont(font)
    p.setPen(fg)
    inner = box.adjusted(4, 0, -4, 0)
    text = QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, inner.width() + 1)
    p.drawText(inner, int(Qt.AlignmentFlag.AlignVCenter), text)


def _dark(color: QColor) -> bool:
    return 0.299 * color.red() + 0.587 * color.green() + 0.114 * color.blue() < 150
