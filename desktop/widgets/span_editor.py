"""The annotation editor: one segment with its context, spans and suggestions.

A thin view: it draws :class:`EditorContent` and emits what the person wants (a span for the
selection, a relabel, a delete, a resize, accepting a suggestion, the next segment…); the session
does it and hands back fresh content. Qt positions and code points meet only in ``OffsetMap``.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QMenu, QTextEdit, QToolTip, QWidget

from desktop.widgets.editor_content import EditorContent
from desktop.widgets.qt_offsets import OffsetMap
from desktop.widgets.span_geometry import range_rects
from desktop.widgets.span_painter import DrawnItem, paint_over, paint_under, tag_boxes

EDGE_GRAB_PX = 5
LINE_HEIGHT_PERCENT = 190
_HOTKEYS = {getattr(Qt.Key, f"Key_{i}"): str(i) for i in range(1, 10)}


def menu_text(text: str) -> str:
    """Text for a QAction/QPushButton: '&' would become a mnemonic."""
    return text.replace("&", "&&")


class SpanEditor(QTextEdit):
    span_requested = Signal(int, int, int, str)  # segment, start, end (document code points)
    span_relabel_requested = Signal(int, str)
    span_delete_requested = Signal(int)
    span_resize_requested = Signal(int, int, int)
    suggestions_accept_requested = Signal(int, object)  # segment, ids (None: all)
    suggestions_reject_requested = Signal(int, object)
    next_requested = Signal()
    skip_requested = Signal()
    help_requested = Signal()
    focus_item_changed = Signal(object)  # DrawnItem | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setUndoRedoEnabled(False)
        self.setAcceptRichText(False)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.viewport().setMouseTracking(True)
        self.document().setDocumentMargin(18)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.setFont(font)
        self.setPlaceholderText("Nothing to label yet: import documents (File ▸ Import…).")
        self.content: EditorContent | None = None
        self.offsets: OffsetMap | None = None
        self._focus: tuple[str, int] | None = None
        self._resize: tuple[DrawnItem, str, int] | None = None  # item, edge, Qt position
        self._pressed_suggestion: int | None = None

    # -- content --------------------------------------------------------------------------------
    def set_content(self, content: EditorContent | None) -> None:
        same_segment = (
            content is not None
            and self.content is not None
            and content.segment.id == self.content.segment.id
        )
        keep = self._focus if same_segment else None
        scroll = self.verticalScrollBar().value() if same_segment else None
        self.content = content
        self._resize = None
        self.clear()
        if content is None:
            self.offsets = None
            self._set_focus(None)
            return
        omap = OffsetMap(content.text, content.base)
        self.offsets = omap
        cursor = QTextCursor(self.document())
        cursor.insertText(omap.display)
        cursor.select(QTextCursor.SelectionType.Document)
        block = QTextBlockFormat()
        block.setLineHeight(
            LINE_HEIGHT_PERCENT, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value
        )
        cursor.mergeBlockFormat(block)
        self._dim(0, omap.to_qt(content.segment.start))
        self._dim(omap.to_qt(content.segment.end), omap.qt_length)
        self._set_focus(keep if keep and self._item(*keep) else None)
        cursor = QTextCursor(self.document())
        cursor.setPosition(omap.to_qt(content.segment.start))
        self.setTextCursor(cursor)
        if scroll is not None:
            self.verticalScrollBar().setValue(scroll)
        else:
            self.ensureCursorVisible()
        self.viewport().update()

    def _dim(self, start: int, end: int) -> None:
        if end <= start:
            return
        fmt = QTextCharFormat()
        fmt.setForeground(QColor("#9A9A9A"))
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(fmt)

    # -- what is on screen ------------------------------------------------------------------------
    def items(self) -> list[DrawnItem]:
        c, omap = self.content, self.offsets
        if c is None or omap is None:
            return []
        out = [
            DrawnItem(
                "suggestion",
                s.id,
                omap.to_qt(s.start),
                omap.to_qt(s.end),
                s.label,
                c.color(s.label),
                s.score,
            )
            for s in c.suggestions
        ]
        for s in c.spans:
            start, end = omap.to_qt(s.start), omap.to_qt(s.end)
            if self._resize is not None and self._resize[0].id == s.id:
                start, end = self._resize_range()
            out.append(DrawnItem("span", s.id, start, end, s.label, c.color(s.label)))
        return out

    def item_rects(self, item: DrawnItem) -> list:
        offset = QPointF(-self.horizontalScrollBar().value(), -self.verticalScrollBar().value())
        return range_rects(self.document(), item.start, item.end, offset)

    def item_at(self, pos: QPoint) -> DrawnItem | None:
        point = QPointF(pos)
        for item in sorted(self.items(), key=lambda i: i.kind != "span"):
            if any(r.adjusted(-1, -2, 1, 2).contains(point) for r in self.item_rects(item)):
                return item
        return None

    def focused_item(self) -> DrawnItem | None:
        return self._item(*self._focus) if self._focus else None

    def selection_range(self) -> tuple[int, int] | None:
        """The selected text as document code points, or None when nothing is selected."""
        cursor = self.textCursor()
        if self.offsets is None or not cursor.hasSelection():
            return None
        return (
            self.offsets.from_qt(cursor.selectionStart()),
            self.offsets.from_qt(cursor.selectionEnd()),
        )

    def _item(self, kind: str, item_id: int) -> DrawnItem | None:
        return next((i for i in self.items() if i.kind == kind and i.id == item_id), None)

    def _set_focus(self, focus: tuple[str, int] | None) -> None:
        self._focus = focus
        self.focus_item_changed.emit(self.focused_item())
        self.viewport().update()

    # -- actions the palette and menus call ------------------------------------------------------
    def apply_label(self, label: str) -> None:
        """Label the selection, or relabel the focused span."""
        if self.content is None:
            return
        selected = self.selection_range()
        focused = self.focused_item()
        if selected is not None:
            self.span_requested.emit(self.content.segment.id, *selected, label)
            self._clear_selection()
        elif focused is not None and focused.kind == "span":
            if focused.label != label:
                self.span_relabel_requested.emit(focused.id, label)
        elif focused is not None and focused.kind == "suggestion":
            start = self.offsets.from_qt(focused.start) if self.offsets else 0
            end = self.offsets.from_qt(focused.end) if self.offsets else 0
            self.suggestions_reject_requested.emit(self.content.segment.id, [focused.id])
            self.span_requested.emit(self.content.segment.id, start, end, label)

    def delete_focused(self) -> None:
        focused = self.focused_item()
        if focused is None or self.content is None:
            return
        if focused.kind == "span":
            self.span_delete_requested.emit(focused.id)
        else:
            self.suggestions_reject_requested.emit(self.content.segment.id, [focused.id])
        self._focus = None

    def accept_next(self) -> None:
        """Accept the focused suggestion, else the next one after the focus (or the first)."""
        if self.content is None:
            return
        sugs = sorted((i for i in self.items() if i.kind == "suggestion"), key=lambda i: i.start)
        focused = self.focused_item()
        if focused is not None and focused.kind != "suggestion":
            sugs = [i for i in sugs if i.start >= focused.end] or sugs
        if focused is not None and focused.kind == "suggestion":
            sugs = [focused]
        if sugs:
            self.suggestions_accept_requested.emit(self.content.segment.id, [sugs[0].id])

    def accept_all(self) -> None:
        if self.content is not None and self.content.suggestions:
            self.suggestions_accept_requested.emit(self.content.segment.id, None)

    def reject_all(self) -> None:
        if self.content is not None and self.content.suggestions:
            self.suggestions_reject_requested.emit(self.content.segment.id, None)

    def cycle_focus(self, step: int) -> None:
        ordered = sorted(self.items(), key=lambda i: (i.start, i.kind))
        if not ordered:
            return
        keys = [(i.kind, i.id) for i in ordered]
        index = keys.index(self._focus) + step if self._focus in keys else (0 if step > 0 else -1)
        self._set_focus(keys[index % len(keys)])

    def _clear_selection(self) -> None:
        cursor = self.textCursor()
        cursor.clearSelection()
        self.setTextCursor(cursor)

    # -- keyboard --------------------------------------------------------------------------------
    def event(self, e: QEvent) -> bool:
        if (
            e.type() == QEvent.Type.KeyPress
            and isinstance(e, QKeyEvent)
            and e.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
            and self.items()
        ):
            self.cycle_focus(-1 if e.key() == Qt.Key.Key_Backtab else 1)
            return True
        return super().event(e)

    def viewportEvent(self, e: QEvent) -> bool:  # noqa: N802
        if e.type() == QEvent.Type.ToolTip:  # tooltips arrive at the viewport, not here
            self._show_tooltip(e)
            return True
        return super().viewportEvent(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802
        key, mods = e.key(), e.modifiers()
        plain = not (
            mods & ~(Qt.KeyboardModifier.KeypadModifier | Qt.KeyboardModifier.ShiftModifier)
        )
        labels = self.content.labels if self.content else ()
        if key in _HOTKEYS and plain:
            lab = next((lab for lab in labels if lab.hotkey == _HOTKEYS[key]), None)
            if lab is not None:
                self.apply_label(lab.name)
            return
        if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.next_requested.emit()
        elif plain and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_focused()
        elif e.text() in ("?",) or key == Qt.Key.Key_F1:
            self.help_requested.emit()
        elif mods == Qt.KeyboardModifier.NoModifier and key == Qt.Key.Key_S:
            self.skip_requested.emit()
        elif mods == Qt.KeyboardModifier.NoModifier and key == Qt.Key.Key_A:
            self.accept_all()
        elif mods == Qt.KeyboardModifier.NoModifier and key == Qt.Key.Key_R:
            self.reject_all()
        elif mods == Qt.KeyboardModifier.NoModifier and key in (Qt.Key.Key_Space, Qt.Key.Key_Y):
            self.accept_next()
        elif key == Qt.Key.Key_Escape:
            self._clear_selection()
            self._set_focus(None)
        else:
            super().keyPressEvent(e)

    # -- mouse -----------------------------------------------------------------------------------
    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._pressed_suggestion = None
        if e.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(e)
            return
        pos = e.position().toPoint()
        edge = self._edge_at(pos)
        if edge is not None:
            item, side = edge
            self._set_focus(("span", item.id))
            self._resize = (item, side, item.start if side == "start" else item.end)
            return
        item = self.item_at(pos)
        if item is None:
            self._set_focus(None)
            super().mousePressEvent(e)
            return
        self._clear_selection()
        self._set_focus((item.kind, item.id))
        if item.kind == "suggestion":
            self._pressed_suggestion = item.id

    def mouseDoubleClickEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        """Select the whole word under the pointer ("Aurora-2", "Jerez" without its period)."""
        c, omap = self.content, self.offsets
        if (
            e.button() != Qt.MouseButton.LeftButton
            or c is None
            or omap is None
            or self.item_at(e.position().toPoint()) is not None
        ):
            super().mouseDoubleClickEvent(e)
            return
        at = omap.from_qt(self.cursorForPosition(e.position().toPoint()).position())
        word = c.word_at(at) or c.word_at(at - 1)
        if word is None:
            super().mouseDoubleClickEvent(e)
            return
        cursor = self.textCursor()
        cursor.setPosition(omap.to_qt(word[0]))
        cursor.setPosition(omap.to_qt(word[1]), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        pos = e.position().toPoint()
        if self._resize is not None:
            item, side, _ = self._resize
            self._resize = (item, side, self.cursorForPosition(pos).position())
            self.viewport().update()
            return
        if not e.buttons():
            shape = (
                Qt.CursorShape.SizeHorCursor
                if self._edge_at(pos)
                else (
                    Qt.CursorShape.PointingHandCursor
                    if self.item_at(pos)
                    else Qt.CursorShape.IBeamCursor
                )
            )
            self.viewport().setCursor(shape)
        super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if self._resize is not None and self.offsets is not None:
            item = self._resize[0]
            start, end = self._resize_range()
            self._resize = None
            if (start, end) != (item.start, item.end):
                self.span_resize_requested.emit(
                    item.id, self.offsets.from_qt(start), self.offsets.from_qt(end)
                )
            self.viewport().update()
            return
        pressed, self._pressed_suggestion = self._pressed_suggestion, None
        if pressed is not None and self.content is not None:
            item = self.item_at(e.position().toPoint())
            if item is not None and item.kind == "suggestion" and item.id == pressed:
                self.suggestions_accept_requested.emit(self.content.segment.id, [pressed])
            return
        super().mouseReleaseEvent(e)

    def contextMenuEvent(self, e: object) -> None:  # noqa: N802
        from desktop.widgets.span_context_menu import build_context_menu

        menu: QMenu | None = build_context_menu(self, e.pos())  # type: ignore[attr-defined]
        if menu is not None:
            menu.exec(e.globalPos())  # type: ignore[attr-defined]

    def _edge_at(self, pos: QPoint) -> tuple[DrawnItem, str] | None:
        for item in self.items():
            if item.kind != "span":
                continue
            rects = self.item_rects(item)
            if not rects:
                continue
            first, last = rects[0], rects[-1]
            if (
                abs(pos.x() - first.left()) <= EDGE_GRAB_PX
                and first.top() - 2 <= pos.y() <= first.bottom() + 2
            ):
                return item, "start"
            if (
                abs(pos.x() - last.right()) <= EDGE_GRAB_PX
                and last.top() - 2 <= pos.y() <= last.bottom() + 2
            ):
                return item, "end"
        return None

    def _resize_range(self) -> tuple[int, int]:
        assert self._resize is not None
        item, side, pos = self._resize
        if side == "start":
            return min(pos, item.end - 1), item.end
        return item.start, max(pos, item.start + 1)

    def _show_tooltip(self, e: QEvent) -> None:
        item = self.item_at(e.pos())  # type: ignore[attr-defined]
        if item is None:
            QToolTip.hideText()
            return
        name = html.escape(item.label)
        if item.kind == "suggestion":
            score = "" if item.score is None else f" · score {item.score:.2f}"
            tip = (
                f"<p style='white-space:pre'>Suggestion: <b>{name}</b>{score}<br>"
                "Click or Space to accept · Delete to reject</p>"
            )
        else:
            tip = (
                f"<p style='white-space:pre'><b>{name}</b><br>1–9 relabel · Delete remove · "
                "drag an edge to resize</p>"
            )
        QToolTip.showText(e.globalPos(), tip, self.viewport())  # type: ignore[attr-defined]

    # -- painting --------------------------------------------------------------------------------
    def paintEvent(self, e: QPaintEvent) -> None:  # noqa: N802
        items = self.items()
        drawn = [
            (item, self.item_rects(item), self._focus == (item.kind, item.id)) for item in items
        ]
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for item, rects, focused in drawn:
            paint_under(p, item, rects, focused)
        p.end()
        super().paintEvent(e)
        boxes = tag_boxes(
            [(item, rects) for item, rects, _ in drawn], self.font(), self.viewport().width() - 2
        )
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for (item, rects, focused), box in sorted(
            zip(drawn, boxes, strict=True), key=lambda d: d[0][2]
        ):
            paint_over(p, item, rects, focused, self.font(), box)
        p.end()

    def tag_boxes(self) -> list[QRectF | None]:
        """Where the tags of ``items()`` are drawn (viewport coordinates)."""
        items = self.items()
        return tag_boxes(
            [(i, self.item_rects(i)) for i in items], self.font(), self.viewport().width() - 2
        )
