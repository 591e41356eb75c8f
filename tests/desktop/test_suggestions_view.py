"""Suggestions are whole words, their tags never overlap, and a rejection is remembered across
rescores (issue 11, items 8 and 9), through the real window and rescore's row building."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.active_learning.pool import PoolSegment
from engine.active_learning.rescore import _suggestion_rows
from engine.types import Entity
from tests.desktop import fake_jobs
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui

TEXT = "It was founded by al-Fihri as al-Qarawiyyin in Fez, a b c d."


def fragments(text: str) -> list[Entity]:
    """What a young model predicts: word pieces, a lone hyphen, mixed labels, short tokens."""
    q, f = text.index("al-Q"), text.index("al-F")
    out = [
        Entity(f, f + 2, "PER", 0.6),
        Entity(f + 3, f + 8, "PER", 0.8),
        Entity(q, q + 2, "ORG", 0.55),
        Entity(q + 2, q + 3, "LOC", 0.9),
        Entity(q + 3, q + 13, "ORG", 0.7),
        Entity(text.index("Fez"), text.index("Fez") + 3, "LOC", 0.95),
    ]
    base = text.index("a b c d")
    for i, word in enumerate("abcd"):
        out.append(Entity(base + 2 * i, base + 2 * i + 1, "MISC" if word in "ac" else "LOC", 0.5))
    return out


def fake_rescore(project: Any, *, version: str | None = None, on_event: Any, cancel: Any) -> Any:
    segs = [project.segment(s.id) for s in project.segments(limit=100)]
    pool = [PoolSegment(s.id, s.split, s.start, s.text, False) for s in segs]
    preds = [SimpleNamespace(entities=fragments(s.text)) for s in segs]
    project.annotations.replace_suggestions(
        [s.id for s in segs], _suggestion_rows(pool, preds, "v0001")
    )
    return fake_jobs.rescore_result()


@pytest.fixture
def window(make_project, make_window, qtbot):  # type: ignore[no-untyped-def]
    project = make_project(labels=("PER", "ORG", "LOC", "MISC"))
    add_document(project, TEXT, segments=[(0, len(TEXT))])
    window = make_window(project, jobs={"rescore": fake_rescore})
    rescore(window, qtbot)
    return window


def rescore(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    s = window.session
    with qtbot.waitSignal(s.queue_changed, timeout=5000):
        s.start_job("rescore", then=lambda _r: s.queue_changed.emit())


def shown(window) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(TEXT[x.start : x.end], x.label) for x in window.editor.content.suggestions]


def test_suggestions_are_whole_words_and_their_tags_never_overlap(window) -> None:  # type: ignore[no-untyped-def]
    assert shown(window) == [
        ("al-Fihri", "PER"),
        ("al-Qarawiyyin", "ORG"),
        ("Fez", "LOC"),
        ("a", "MISC"),
        ("b", "LOC"),
        ("c", "MISC"),
        ("d", "LOC"),
    ]
    for width in (1300, 700, 420, 333, 251):  # wrapping moves the tags to other lines
        window.editor.setFixedWidth(width)
        QTest.qWait(20)
        boxes = [b for b in window.editor.tag_boxes() if b is not None]
        assert len(boxes) == 7
        vw = window.editor.viewport().width()
        assert all(b.right() <= vw for b in boxes), (width, vw, [b.right() for b in boxes])
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not a.intersects(b), (width, a, b)
        window.editor.viewport().repaint()


def test_a_rejected_suggestion_does_not_come_back_after_a_rescore(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = window.editor
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_Tab)  # al-Fihri
    assert editor.focused_item().label == "PER"
    QTest.keyClick(editor, Qt.Key.Key_Delete)
    assert ("al-Fihri", "PER") not in shown(window)
    rescore(window, qtbot)
    assert ("al-Fihri", "PER") not in shown(window)
    assert ("al-Qarawiyyin", "ORG") in shown(window)
    window.actions["undo"].trigger()  # undoing the rejection forgets it
    assert ("al-Fihri", "PER") in shown(window)
    QTest.keyClick(editor, Qt.Key.Key_R)  # reject all: none of them returns either
    rescore(window, qtbot)
    assert shown(window) == []
