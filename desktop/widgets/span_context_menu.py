"""The editor's right-click menu: label the selection, relabel/delete a span, accept/reject."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from desktop.widgets.span_editor import SpanEditor


def build_context_menu(editor: SpanEditor, pos: QPoint) -> QMenu | None:
    from desktop.widgets.span_editor import menu_text

    content = editor.content
    if content is None:
        return None
    menu = QMenu(editor)
    item = editor.item_at(pos)
    seg = content.segment.id
    if item is not None and item.kind == "suggestion":
        editor._set_focus(("suggestion", item.id))
        menu.addAction("Accept", lambda: editor.suggestions_accept_requested.emit(seg, [item.id]))
        menu.addAction("Reject", lambda: editor.suggestions_reject_requested.emit(seg, [item.id]))
        relabel = menu.addMenu("Accept as")
    elif item is not None:
        editor._set_focus(("span", item.id))
        relabel = menu.addMenu("Relabel as")
        menu.addAction("Delete", lambda: editor.span_delete_requested.emit(item.id))
    elif editor.selection_range() is not None:
        relabel = menu.addMenu("Label as")
    else:
        relabel = None
    if relabel is not None:
        for lab in content.labels:
            key = f"\t{lab.hotkey}" if lab.hotkey else ""
            relabel.addAction(
                menu_text(lab.name) + key, lambda name=lab.name: editor.apply_label(name)
            )
    if content.suggestions:
        menu.addSeparator()
        menu.addAction("Accept all suggestions\tA", editor.accept_all)
        menu.addAction("Reject all suggestions\tR", editor.reject_all)
    return menu if not menu.isEmpty() else None
