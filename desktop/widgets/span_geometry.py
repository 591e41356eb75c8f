"""Where a range of Qt positions is drawn: one rectangle per line it covers (viewport coords)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QTextDocument


def range_rects(document: QTextDocument, start: int, end: int, offset: QPointF) -> list[QRectF]:
    """Rectangles of the text in ``[start, end)``, one per laid-out line, moved by ``offset``
    (minus the scroll position). Heights cover ascent + descent, not the extra line spacing."""
    rects: list[QRectF] = []
    if end <= start:
        return rects
    block = document.findBlock(start)
    while block.isValid() and block.position() < end:
        layout = block.layout()
        origin = layout.position() + offset
        bpos = block.position()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            l_start = bpos + line.textStart()
            l_end = l_start + line.textLength()
            if l_end <= start or l_start >= end:
                if l_start >= end:
                    break
                continue
            x1 = line.cursorToX(max(start, l_start) - bpos)[0]
            x2 = line.cursorToX(min(end, l_end) - bpos)[0]
            if x2 < x1:  # right-to-left run
                x1, x2 = x2, x1
            rects.append(
                QRectF(
                    origin.x() + x1,
                    origin.y() + line.y(),
                    max(x2 - x1, 2.0),
                    line.ascent() + line.descent(),
                )
            )
        block = block.next()
    return rects
