"""Label all occurrences, find in project, patterns and the review queue in the app (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.training.review import ReviewIssue, ReviewItem, ReviewResult, save_review
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui

DOCS = [
    "Ana flew to Paris.",
    "Paris is big and Paris Hilton is rich.",
    "Bo left Paris.",
    "Mary lives in Berlin.",
]


@pytest.fixture
def win(make_project, make_window, monkeypatch):  # type: ignore[no-untyped-def]
    from desktop.dialogs.label_all_dialog import LabelAllDialog

    project = make_project()
    segs = [add_document(project, text)[0] for text in DOCS]
    s2 = project.segment(segs[1])
    project.annotations.add_span(segs[1], s2.start + 17, s2.start + 29, "PER")  # Paris Hilton
    monkeypatch.setattr(LabelAllDialog, "exec", lambda self: 1)  # press "Label All"
    window = make_window(project)
    return window, project, segs


def loc_texts(project) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for seg in project.segments(limit=100):
        for s in project.annotations.spans(seg.id):
            if s.label == "LOC":
                out.append(project.document_text(s.document_id)[s.start : s.end])
    return out


def test_label_all_occurrences_is_one_undoable_command(win) -> None:  # type: ignore[no-untyped-def]
    window, project, segs = win
    assert window.navigator.current == segs[0]
    seg = project.segment(segs[0])
    assert window.session.add_span(segs[0], seg.start + 12, seg.start + 17, "LOC")
    window.editor.setFocus()
    QTest.keyClick(window.editor, Qt.Key.Key_Tab)  # focus the new span
    statuses = {s.id: s.status for s in project.segments(limit=100)}
    depth = window.session.undo_stack.count()
    QTest.keyClick(
        window,
        Qt.Key.Key_L,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert loc_texts(project) == ["Paris"] * 3  # the one inside "Paris Hilton" is skipped
    assert window.session.undo_stack.count() == depth + 1
    assert {s.id: s.status for s in project.segments(limit=100)} == statuses
    window.actions["undo"].trigger()
    assert loc_texts(project) == ["Paris"]
    window.actions["redo"].trigger()
    assert loc_texts(project) == ["Paris"] * 3


def test_label_all_dialog_counts(win) -> None:  # type: ignore[no-untyped-def]
    from desktop.dialogs.label_all_dialog import LabelAllDialog

    window, project, _ = win
    dialog = LabelAllDialog(window.session, "Paris", "LOC", window)
    assert "4 occurrences: 3 will be labelled" in dialog.counts.text()
    assert "1 overlap" in dialog.counts.text()
    dialog.deleteLater()


def test_find_in_project_labels_hits(win) -> None:  # type: ignore[no-untyped-def]
    from desktop.dialogs.project_search_dialog import ProjectSearchDialog

    window, project, segs = win
    dialog = ProjectSearchDialog(window.session, window)
    dialog.query.setText("paris")
    dialog.case.setChecked(True)
    dialog.labels.setCurrentIndex(dialog.labels.findData("LOC"))
    dialog.search()
    assert dialog.hits.count() == 4 and dialog.summary.text() == "4 hits, 3 to label"
    dialog.label_hits()
    assert loc_texts(project) == ["Paris"] * 3 and dialog.summary.text() == "4 hits, 0 to label"
    shown = []
    dialog.segment_chosen.connect(shown.append)
    dialog.hits.itemActivated.emit(dialog.hits.item(0))
    assert shown == [segs[0]]
    window.actions["undo"].trigger()
    assert loc_texts(project) == []
    dialog.deleteLater()


def test_patterns_dialog_loads_and_removes(win, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop.dialogs.patterns_dialog import PatternsDialog

    window, project, segs = win
    assert any(a.text() == "&Patterns…" for a in window.menuBar().actions()[2].menu().actions())
    f = tmp_path / "p.jsonl"
    f.write_text('{"label": "LOC", "pattern": "Berlin"}\n', encoding="utf-8")
    dialog = PatternsDialog(window.session, window)
    assert dialog.load_file(str(f))
    assert dialog.view.count() == 1 and "1 pattern suggestions" in dialog.status.text()
    assert [s.source for s in project.annotations.suggestions(segs[3])] == ["pattern"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("nope\n", encoding="utf-8")
    assert not dialog.load_file(str(bad)) and "bad.jsonl" in dialog.status.text()
    dialog.view.item(0).setSelected(True)
    dialog.remove_selected()
    assert dialog.view.count() == 0 and project.annotations.suggestions(segs[3]) == []
    dialog.deleteLater()


def fake_review(project, *, folds: int = 5, on_event, cancel):  # type: ignore[no-untyped-def]
    """Two labelled segments on the list: the first with a wrong label."""
    segs = [s for s in project.segments(limit=100) if s.status == "labelled"]
    items = tuple(
        ReviewItem(
            s.id,
            s.document_id,
            s.text,
            score,
            (ReviewIssue("wrong_label", 0, 3, "PER", "LOC", score),),
        )
        for s, score in zip(segs, (0.9, 0.6), strict=False)
    )
    from engine.store.util import now

    result = ReviewResult(items, folds, len(segs), 0.1, now())
    save_review(Path(project.path), result)
    return result


def test_review_queue_filter_panel_and_confirm(make_project, make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    segs = [add_document(project, text)[0] for text in DOCS]
    for seg in segs[:3]:
        project.annotations.set_status(seg, "labelled")
    window = make_window(project, jobs={"review": fake_review})
    with qtbot.waitSignal(window.session.job_finished, timeout=5000):
        window.assist.actions["review"].trigger()
    qtbot.waitUntil(lambda: window.queue_model.total == 2, timeout=3000)
    assert window.queue_panel.status_filter.currentText() == "Review"
    assert window.navigator.current == segs[0]
    panel = window.assist.panel
    assert panel.isVisible() and "wrong label?" in panel.model.text()
    assert "PER → LOC" in panel.model.text() and panel.stored.text() == "(no spans)"
    QTest.keyClick(
        window,
        Qt.Key.Key_Return,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.queue_model.total == 1 and window.navigator.current == segs[1]
    seg = project.segment(segs[1])  # fixing a segment takes it off the list too
    window.session.add_span(segs[1], seg.start, seg.start + 5, "LOC")
    assert window.queue_model.total == 0
    assert panel.isVisible() and "LOC  “Paris”" in panel.stored.text()
    window.navigator.show(segs[3])
    assert not panel.isVisible()
