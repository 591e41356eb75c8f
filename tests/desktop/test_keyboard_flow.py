"""Labelling from the keyboard: accept/reject suggestions, Enter, S, back and forward."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.desktop.conftest import add_document, add_suggestion

pytestmark = pytest.mark.gui

DOCS = ["Angela Merkel visited Paris.", "Google hired John Smith.", "Mary lives in Berlin."]


@pytest.fixture
def flow(make_project, make_window):  # type: ignore[no-untyped-def]
    project = make_project()
    segs = [add_document(project, text)[0] for text in DOCS]
    s1 = project.segment(segs[0])
    add_suggestion(project, segs[0], s1.start, s1.start + 13, "PER", 0.91)
    add_suggestion(project, segs[0], s1.start + 22, s1.start + 27, "LOC", 0.64)
    s2 = project.segment(segs[1])
    add_suggestion(project, segs[1], s2.start, s2.start + 6, "ORG", 0.8)
    add_suggestion(project, segs[1], s2.start + 13, s2.start + 23, "PER", 0.7)
    window = make_window(project)
    window.editor.setFocus()
    return window, project, segs


def key(window, k, mods=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    QTest.keyClick(window.editor, k, mods)


def labels(project, seg):  # type: ignore[no-untyped-def]
    return [(s.label, s.source) for s in project.annotations.spans(seg)]


def test_accept_all_undo_then_one_by_one(flow) -> None:  # type: ignore[no-untyped-def]
    window, project, segs = flow
    assert window.navigator.current == segs[0]
    key(window, Qt.Key.Key_A)
    assert labels(project, segs[0]) == [("PER", "model"), ("LOC", "model")]
    assert project.annotations.suggestions(segs[0]) == []
    window.actions["undo"].trigger()
    assert labels(project, segs[0]) == []
    assert len(project.annotations.suggestions(segs[0])) == 2

    key(window, Qt.Key.Key_Tab)  # focus the first suggestion (PER)
    key(window, Qt.Key.Key_Space)  # accept it
    assert labels(project, segs[0]) == [("PER", "model")]
    key(window, Qt.Key.Key_Tab)  # PER span, then …
    key(window, Qt.Key.Key_Tab)  # … the LOC suggestion
    assert window.editor.focused_item().label == "LOC"
    key(window, Qt.Key.Key_Delete)  # reject it
    assert project.annotations.suggestions(segs[0]) == []
    assert labels(project, segs[0]) == [("PER", "model")]


def test_enter_skip_back_forward(flow) -> None:  # type: ignore[no-untyped-def]
    window, project, segs = flow
    key(window, Qt.Key.Key_A)
    key(window, Qt.Key.Key_Return)
    assert project.segment(segs[0]).status == "labelled"
    assert window.navigator.current == segs[1]
    key(window, Qt.Key.Key_S)
    assert project.segment(segs[1]).status == "skipped"
    assert window.navigator.current == segs[2]
    QTest.keyClick(window.editor, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.navigator.current == segs[1]
    window.actions["back"].trigger()
    assert window.navigator.current == segs[0]
    window.actions["forward"].trigger()
    window.actions["forward"].trigger()
    assert window.navigator.current == segs[2]
    # undo restores the status of the skipped segment (navigation is not undone)
    window.actions["undo"].trigger()
    assert project.segment(segs[1]).status == "todo"


def test_click_suggestion_accepts_and_r_rejects(flow) -> None:  # type: ignore[no-untyped-def]
    window, project, segs = flow
    window.navigator.show(segs[1])
    editor = window.editor
    org = next(i for i in editor.items() if i.kind == "suggestion" and i.label == "ORG")
    point = editor.item_rects(org)[0].center().toPoint()
    QTest.mouseClick(
        editor.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
    )
    assert labels(project, segs[1]) == [("ORG", "model")]
    key(window, Qt.Key.Key_R)
    assert project.annotations.suggestions(segs[1]) == []
    assert labels(project, segs[1]) == [("ORG", "model")]
    window.actions["undo"].trigger()
    assert [s.label for s in project.annotations.suggestions(segs[1])] == ["PER"]


def test_hotkey_on_focused_suggestion_relabels_it(flow) -> None:  # type: ignore[no-untyped-def]
    window, project, segs = flow
    key(window, Qt.Key.Key_Tab)
    key(window, Qt.Key.Key_2)  # the PER suggestion becomes an ORG span
    assert labels(project, segs[0]) == [("ORG", "human")]
    assert [s.label for s in project.annotations.suggestions(segs[0])] == ["LOC"]


def test_help_overlay(flow) -> None:  # type: ignore[no-untyped-def]
    window, _, _ = flow
    QTest.keyClick(
        window.editor,
        Qt.Key.Key_Question,
        Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.help_overlay.isVisible()
    QTest.keyClick(window.help_overlay, Qt.Key.Key_Escape)
    assert not window.help_overlay.isVisible()
    window.actions["help"].trigger()
    assert window.help_overlay.isVisible()


def test_queue_click_shows_segment(flow, qtbot) -> None:  # type: ignore[no-untyped-def]
    window, project, segs = flow
    view = window.queue_panel.view
    row = window.queue_model.row_of(segs[2])
    rect = view.visualRect(window.queue_model.index(row))
    QTest.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center()
    )
    assert window.navigator.current == segs[2]
    assert window.editor.content.segment.id == segs[2]
