"""The Qt binding must not leak references to ``None`` while the app paints.

PySide6/shiboken6 6.12.0 on Python 3.11 drops a reference to ``None`` in every binding call that
returns ``None``; a few thousand painted queue rows then abort the interpreter (``none_dealloc``).
These tests fail on that release and pass on 6.11.3.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QApplication

from desktop.binding_check import PROBE_CALLS, binding_problem, none_refs_lost
from tests.desktop.conftest import add_document, add_suggestion

pytestmark = pytest.mark.gui

ROWS = 3_000
# Painting creates and frees objects that refer to None, so the count moves a little either way;
# the broken binding loses at least one reference per painted row, thousands in all.
SLACK = 200


def test_binding_calls_keep_none_references() -> None:
    assert none_refs_lost(PROBE_CALLS) < PROBE_CALLS // 10
    assert binding_problem() is None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_painting_thousands_of_queue_rows_and_the_editor_keeps_none_alive(
    qtbot, make_project, make_window
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    lines = [f"Row {i}: Ada Lovelace met Charles Babbage in London." for i in range(ROWS)]
    pos, segments = 0, []
    for line in lines:
        segments.append((pos, pos + len(line)))
        pos += len(line) + 1
    ids = add_document(project, "\n".join(lines), spans=[(8, 20, "PER")], segments=segments)
    add_suggestion(project, ids[0], 25, 40, "PER")
    window = make_window(project)
    view = window.queue_panel.view
    model = window.queue_model
    QApplication.processEvents()

    before = sys.getrefcount(None)
    painted = 0
    while painted < ROWS:
        rows = model.rowCount()
        bar = view.verticalScrollBar()
        for value in range(bar.minimum(), bar.maximum() + 1, max(1, bar.pageStep())):
            bar.setValue(value)
            view.viewport().repaint()
            painted += max(1, bar.pageStep())
        if model.canFetchMore(view.rootIndex()) and rows < ROWS:
            model.fetchMore(view.rootIndex())
            qtbot.waitUntil(lambda rows=rows: model.rowCount() > rows, timeout=10_000)
        elif rows >= model.total:
            break
    for _ in range(300):
        window.editor.viewport().repaint()
    QApplication.processEvents()
    lost = before - sys.getrefcount(None)
    print(f"\npainted {painted} row positions, lost {lost} references to None")
    assert painted >= ROWS // 2
    assert lost < SLACK, f"painting lost {lost} references to None"
