"""Selections snap to the project's word tokens, without edge punctuation (issue 11, item 3)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.desktop.conftest import add_document, editor_point

pytestmark = pytest.mark.gui

TEXT = "The Aurora-2 probe reached Jerez. Then, Zofia waved."
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(make_project, make_window):  # type: ignore[no-untyped-def]
    project = make_project()
    add_document(project, TEXT, segments=[(0, len(TEXT))])
    return make_window(project)


def stored(window) -> list[str]:  # type: ignore[no-untyped-def]
    spans = window.session.project.annotations.spans(window.navigator.current)
    return [TEXT[s.start : s.end] for s in spans]


def put_caret(editor, offset: int) -> None:  # type: ignore[no-untyped-def]
    cursor = editor.textCursor()
    cursor.setPosition(editor.offsets.to_qt(offset))
    editor.setTextCursor(cursor)


def test_shift_arrows_over_a_word_and_its_period_store_the_word(window) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    put_caret(editor, TEXT.index("Jerez"))
    for _ in range(len("Jerez.")):
        QTest.keyClick(editor, Qt.Key.Key_Right, SHIFT)
    assert TEXT[slice(*editor.selection_range())] == "Jerez."
    QTest.keyClick(editor, Qt.Key.Key_3)
    assert stored(window) == ["Jerez"]


def test_ctrl_shift_right_from_before_a_comma_stores_the_name(window) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    put_caret(editor, TEXT.index(", Zofia"))
    QTest.keyClick(editor, Qt.Key.Key_Right, SHIFT | Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(editor, Qt.Key.Key_Right, SHIFT | Qt.KeyboardModifier.ControlModifier)
    assert TEXT[slice(*editor.selection_range())].startswith(", Zofia")
    QTest.keyClick(editor, Qt.Key.Key_1)
    assert stored(window) == ["Zofia"]


@pytest.mark.parametrize("inside", [1, 4, 7])
def test_double_click_selects_the_whole_hyphenated_word(window, inside) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    at = TEXT.index("Aurora-2") + inside
    point = editor_point(editor, editor.offsets.to_qt(at), 2)
    QTest.mouseDClick(
        editor.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
    )
    assert TEXT[slice(*editor.selection_range())] == "Aurora-2"
    QTest.keyClick(editor, Qt.Key.Key_2)
    assert stored(window) == ["Aurora-2"]


def test_double_click_on_a_word_before_a_period_leaves_the_period(window) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    point = editor_point(editor, editor.offsets.to_qt(TEXT.index("Jerez") + 2), 2)
    QTest.mouseDClick(
        editor.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
    )
    assert TEXT[slice(*editor.selection_range())] == "Jerez"
