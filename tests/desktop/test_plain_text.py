"""Strings from files and from people (labels, texts, file names) are never read as markup."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QLabel, QToolTip

from desktop.dialogs.error_dialog import error_box
from desktop.models.queue_model import QueueModel
from engine.errors import FormatError
from tests.desktop.conftest import add_document, add_suggestion

pytestmark = pytest.mark.gui

LABELS = ["<b>x</b>", "<img/src=x>", "A&B"]
TEXT = "The <i>tag</i> named Bob works at Acme."


@pytest.fixture
def window(make_project, make_window):  # type: ignore[no-untyped-def]
    project = make_project(labels=LABELS)
    seg = add_document(project, TEXT)[0]
    bob = TEXT.index("Bob")
    project.annotations.add_span(seg, bob, bob + 3, "<b>x</b>")
    acme = TEXT.index("Acme")
    add_suggestion(project, seg, acme, acme + 4, "<img/src=x>", 0.75)
    return make_window(project)


def tooltip_at(editor, item) -> str:  # type: ignore[no-untyped-def]
    QToolTip.hideText()
    point = editor.item_rects(item)[0].center().toPoint()
    event = QHelpEvent(QEvent.Type.ToolTip, point, editor.viewport().mapToGlobal(point))
    QApplication.sendEvent(editor.viewport(), event)
    return QToolTip.text()


def test_label_names_show_literally(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert window.palette.button("<b>x</b>").text() == "1  <b>x</b>"
    assert window.palette.button("A&B").text() == "3  A&&B"  # && shows a literal &
    qtbot.waitUntil(lambda: "<img/src=x>" in window.status.entities_label.text())
    assert window.status.entities_label.textFormat() == Qt.TextFormat.PlainText
    for label in window.findChildren(QLabel):
        if "<" in label.text():
            assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_editor_tags_and_tooltips_escape_markup(window) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    span = next(i for i in editor.items() if i.kind == "span")
    assert span.tag == "<b>x</b>"
    tip = tooltip_at(editor, span)
    assert "&lt;b&gt;x&lt;/b&gt;" in tip and "<b>x</b>" not in tip
    sug = next(i for i in editor.items() if i.kind == "suggestion")
    assert sug.tag == "<img/src=x> 0.75"
    tip = tooltip_at(editor, sug)
    assert "&lt;img/src=x&gt;" in tip and "0.75" in tip
    editor.grab()  # paints without trouble


def test_queue_text_and_tooltip(window) -> None:  # type: ignore[no-untyped-def]
    index = window.queue_model.index(0)
    assert index.data() == TEXT
    assert "&lt;i&gt;tag&lt;/i&gt;" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(QueueModel.StatusRole) == "todo"


def test_error_dialog_is_plain_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    box = error_box(None, FormatError("bad <b>tag</b>", path="<img src=x>.jsonl", line=3))
    qtbot.addWidget(box)
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "<img src=x>.jsonl, line 3" in box.text()
    assert "FormatError" in box.detailedText()


def test_context_menu_labels_escape_ampersand(window) -> None:  # type: ignore[no-untyped-def]
    from desktop.widgets.span_context_menu import build_context_menu

    editor = window.editor
    span = next(i for i in editor.items() if i.kind == "span")
    menu = build_context_menu(editor, editor.item_rects(span)[0].center().toPoint())
    relabel = next(a.menu() for a in menu.actions() if a.menu() is not None)
    texts = [a.text() for a in relabel.actions()]
    assert "A&&B\t3" in texts and "<b>x</b>\t1" in texts
