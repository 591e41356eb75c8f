"""A write that fails (disk full, read-only) is reported and never shown as saved."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from engine.api import Project
from engine.errors import DiskFullError, StoreError
from tests.desktop.conftest import add_document, drag_select

pytestmark = pytest.mark.gui

WORDS = 1500


def error_boxes(window) -> list[QMessageBox]:  # type: ignore[no-untyped-def]
    return [b for b in window.findChildren(QMessageBox, "error_dialog") if b.isVisible()]


@pytest.fixture
def full_project(tmp_path):  # type: ignore[no-untyped-def]
    """A project whose database is at its page limit, with words left to label."""
    Project.create(tmp_path / "full", ["PER"]).close()
    with Project.open(tmp_path / "full") as p:
        add_document(p, " ".join(f"w{i:04d}" for i in range(WORDS)))
        pages = p.db.connection().execute("PRAGMA page_count").fetchone()[0]
    project = Project.open(tmp_path / "full", max_pages=pages + 2)
    seg = project.segments(limit=10)[0]
    for i in range(WORDS):
        start = seg.start + 6 * i
        try:
            project.annotations.add_span(seg.id, start, start + 5, "PER")
        except (DiskFullError, StoreError):
            break
    else:  # pragma: no cover - the limit must be reached
        raise AssertionError("the database never filled up")
    yield project, seg, i
    project.close()


def test_disk_full_edit_is_reported_and_not_shown(make_window, qtbot, full_project) -> None:  # type: ignore[no-untyped-def]
    project, seg, first_free = full_project
    window = make_window(project)
    window.navigator.show(seg.id)
    editor = window.editor
    before = len(project.annotations.spans(seg.id))
    shown_before = len(editor.content.spans)
    start = seg.start + 6 * (first_free + 2)
    drag_select(qtbot, editor, start, start + 5)
    QTest.keyClick(editor, Qt.Key.Key_1)
    boxes = error_boxes(window)
    assert boxes and "NOT saved" in boxes[0].text()
    assert "NOT saved" in window.status.saved_label.text()
    assert len(project.annotations.spans(seg.id)) == before
    assert len(editor.content.spans) == shown_before  # the editor shows what is stored
    assert not any(s.start == start for s in editor.content.spans)
    assert not window.actions["undo"].isEnabled() or window.session.undo_stack.count() == 0


def test_read_only_project_refuses_edits(make_window, make_project, qtbot) -> None:  # type: ignore[no-untyped-def]
    p = make_project()
    add_document(p, "Angela Merkel visited Paris.")
    path = p.path
    p.close()
    project = Project.open(path, read_only=True)
    window = make_window(project)
    assert "[read-only]" in window.windowTitle()
    assert window.status.saved_label.text() == "Read-only"
    assert not window.model_panel.retrain_button.isEnabled()
    editor = window.editor
    drag_select(qtbot, editor, 0, 6)
    QTest.keyClick(editor, Qt.Key.Key_1)
    assert error_boxes(window) and "read-only" in error_boxes(window)[0].text()
    assert project.annotations.spans(window.navigator.current) == []
    assert editor.content.spans == ()


def test_failed_undo_is_reported_and_dropped(make_window, make_project, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    p = make_project()
    add_document(p, "Angela Merkel visited Paris.")
    window = make_window(p)
    seg = window.navigator.current
    assert window.session.add_span(seg, 0, 6, "PER")

    def full(*_a, **_k):  # type: ignore[no-untyped-def]
        raise DiskFullError("the disk is full; the last change was not saved")

    monkeypatch.setattr(p.annotations, "remove_span", full)
    window.actions["undo"].trigger()
    assert error_boxes(window) and error_boxes(window)[0].windowTitle() == "Disk full"
    assert [s.label for s in p.annotations.spans(seg)] == ["PER"]
    assert [s.label for s in window.editor.content.spans] == ["PER"]  # shown as stored
    assert window.session.undo_stack.count() == 0  # the failed command was dropped
