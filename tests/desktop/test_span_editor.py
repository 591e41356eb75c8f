"""The span editor driven with real mouse and key events; assertions on the database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.desktop.conftest import add_document, drag_select, editor_point

pytestmark = pytest.mark.gui

TEXT = "We met 😀 Zoë Ångström in 東京都 yesterday."


@pytest.fixture
def window(make_project, make_window):  # type: ignore[no-untyped-def]
    project = make_project()
    add_document(project, TEXT)
    return make_window(project)


def spans_of(window):  # type: ignore[no-untyped-def]
    seg = window.navigator.current
    return [(s.start, s.end, s.label) for s in window.session.project.annotations.spans(seg)]


def test_drag_select_emoji_and_cjk_then_hotkey(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    start = TEXT.index("Zoë") + 1  # from inside "Zoë" …
    end = TEXT.index("Ångström") + 4  # … to inside "Ångström": snaps to whole words
    drag_select(qtbot, editor, start, end)
    assert editor.selection_range() == (start, end)
    QTest.keyClick(editor, Qt.Key.Key_1)  # PER
    zoe = TEXT.index("Zoë")
    expected = (zoe, TEXT.index("Ångström") + len("Ångström"), "PER")
    assert spans_of(window) == [expected]
    assert TEXT[expected[0] : expected[1]] == "Zoë Ångström"

    tokyo = TEXT.index("東京")
    drag_select(qtbot, editor, tokyo, tokyo + 2)
    QTest.keyClick(editor, Qt.Key.Key_3)  # LOC
    assert (tokyo, tokyo + 2, "LOC") in spans_of(window)

    window.actions["undo"].trigger()
    assert spans_of(window) == [expected]
    window.actions["undo"].trigger()
    assert spans_of(window) == []
    window.actions["redo"].trigger()
    assert spans_of(window) == [expected]
    window.actions["redo"].trigger()
    assert spans_of(window) == [expected, (tokyo, tokyo + 2, "LOC")]


def test_shortcut_keys_undo_and_redo(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    editor.setFocus()
    start = TEXT.index("yesterday")
    drag_select(qtbot, editor, start, start + 3)
    QTest.keyClick(editor, Qt.Key.Key_2)
    assert spans_of(window) == [(start, start + len("yesterday"), "ORG")]
    QTest.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert spans_of(window) == []
    QTest.keyClick(
        editor,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert spans_of(window) == [(start, start + len("yesterday"), "ORG")]


def test_shift_arrow_selection_and_palette_click(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    editor.setFocus()
    met = TEXT.index("met")
    cursor = editor.textCursor()
    cursor.setPosition(editor.offsets.to_qt(met))
    editor.setTextCursor(cursor)
    for _ in range(2):
        QTest.keyClick(editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert editor.selection_range() == (met, met + 2)
    qtbot.mouseClick(window.palette.button("LOC"), Qt.MouseButton.LeftButton)
    assert spans_of(window) == [(met, met + 3, "LOC")]
    assert editor.hasFocus() or window.editor is editor


def test_click_span_relabel_delete(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    project = window.session.project
    seg = window.navigator.current
    zoe = TEXT.index("Zoë")
    project.annotations.add_span(seg, zoe, zoe + 3, "PER")
    window.session.notify_segment(seg)
    editor = window.editor
    point = editor_point(editor, editor.offsets.to_qt(zoe + 1), 2)
    QTest.mouseClick(
        editor.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
    )
    assert editor.focused_item() is not None and editor.focused_item().kind == "span"
    assert window.palette.button("PER").isChecked()
    QTest.keyClick(editor, Qt.Key.Key_2)
    assert spans_of(window) == [(zoe, zoe + 3, "ORG")]
    QTest.keyClick(editor, Qt.Key.Key_Delete)
    assert spans_of(window) == []
    window.actions["undo"].trigger()
    assert spans_of(window) == [(zoe, zoe + 3, "ORG")]


def test_drag_span_edge_resizes(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    project = window.session.project
    seg = window.navigator.current
    zoe = TEXT.index("Zoë")
    span = project.annotations.add_span(seg, zoe, zoe + 3, "PER")
    window.session.notify_segment(seg)
    editor = window.editor
    item = next(i for i in editor.items() if i.id == span.id)
    rect = editor.item_rects(item)[-1]
    edge = rect.topRight().toPoint()
    edge.setY(int(rect.center().y()))
    assert editor._edge_at(edge) is not None
    target = editor_point(editor, editor.offsets.to_qt(TEXT.index("Ångström") + 6), 0)
    viewport = editor.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, edge)
    QTest.mouseMove(viewport, target)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target)
    end = TEXT.index("Ångström") + len("Ångström")
    assert spans_of(window) == [(zoe, end, "PER")]
    window.actions["undo"].trigger()
    assert spans_of(window) == [(zoe, zoe + 3, "PER")]


def test_overlap_is_refused_with_a_message(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    project = window.session.project
    seg = window.navigator.current
    zoe = TEXT.index("Zoë")
    project.annotations.add_span(seg, zoe, zoe + 3, "PER")
    window.session.notify_segment(seg)
    editor = window.editor
    cursor = editor.textCursor()
    cursor.setPosition(editor.offsets.to_qt(TEXT.index("met")))
    cursor.setPosition(editor.offsets.to_qt(zoe + 2), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    QTest.keyClick(editor, Qt.Key.Key_3)
    assert spans_of(window) == [(zoe, zoe + 3, "PER")]
    assert "overlaps" in window.status.currentMessage()
