"""What a new user hit first: Space, the empty editor after an import, the queue count
(issue 11, items 2 and 4), driven through the real window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.main_window import EMPTY_PROJECT_TEXT
from tests.desktop import fake_jobs
from tests.desktop.conftest import add_document, add_suggestion

pytestmark = pytest.mark.gui
# the queue order after an import needs the base encoder; these tests are about the views
NO_MODEL_JOBS = {"cold_start": fake_jobs.quick_rescore}


def test_space_accepts_the_next_suggestion_without_tab(make_project, make_window) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    seg = add_document(project, "Angela Merkel visited Paris and Rome.")[0]
    s = project.segment(seg)
    add_suggestion(project, seg, s.start + 22, s.start + 27, "LOC", 0.6)
    add_suggestion(project, seg, s.start, s.start + 13, "PER", 0.9)
    window = make_window(project)
    editor = window.editor
    editor.setFocus()
    assert editor.focused_item() is None
    QTest.keyClick(editor, Qt.Key.Key_Space)  # the first one in reading order
    assert [(x.label, x.start) for x in project.annotations.spans(seg)] == [("PER", s.start)]
    QTest.keyClick(editor, Qt.Key.Key_Space)  # then the next
    assert [x.label for x in project.annotations.spans(seg)] == ["PER", "LOC"]
    assert project.annotations.suggestions(seg) == []
    QTest.keyClick(editor, Qt.Key.Key_Space)  # nothing left: nothing happens
    assert len(project.annotations.spans(seg)) == 2


def test_import_into_an_empty_project_shows_a_segment_and_counts_follow_enter(
    make_project, make_window, qtbot, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    window = make_window(project, jobs=NO_MODEL_JOBS)
    editor, panel = window.editor, window.queue_panel
    assert editor.content is None
    assert editor.placeholderText() == EMPTY_PROJECT_TEXT
    source = tmp_path / "docs.txt"
    source.write_text(
        "Ada met Charles.\n\nMary lives in Berlin.\n\nToyota hired Ann.\n\nZofia went home.\n",
        encoding="utf-8",
    )
    assert window.session.import_files([source], None, "sentences", False)
    qtbot.waitUntil(
        lambda: window.session.job_running is None and editor.content is not None, timeout=20_000
    )
    qtbot.waitUntil(lambda: panel.count_label.text() == "4 to do", timeout=5_000)
    assert editor.content.segment.id == window.navigator.current
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.count_label.text() == "3 to do", timeout=5_000)
    QTest.keyClick(editor, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: panel.count_label.text() == "2 to do", timeout=5_000)
    window.actions["undo"].trigger()
    qtbot.waitUntil(lambda: panel.count_label.text() == "3 to do", timeout=5_000)


def test_a_trailing_emoji_is_not_a_segment_of_its_own(
    make_project, make_window, qtbot, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    window = make_window(project, jobs=NO_MODEL_JOBS)
    source = tmp_path / "emoji.txt"
    source.write_text("Ada met Charles in London. They wrote letters. 😀\n", encoding="utf-8")
    assert window.session.import_files([source], None, "sentences", False)
    qtbot.waitUntil(
        lambda: (
            window.session.job_running is None
            and window.queue_panel.count_label.text() == "2 to do"
        ),
        timeout=20_000,
    )
    texts = [window.queue_model.index(r).data() for r in range(window.queue_model.rowCount())]
    assert sorted(texts) == ["Ada met Charles in London.", "They wrote letters. 😀"]
