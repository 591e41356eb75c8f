"""The queue over 100,000 segments: opens fast, fetches lazily, scrolls page by page."""

from __future__ import annotations

import time

import pytest
from PySide6.QtWidgets import QApplication

from desktop.models.queue_model import BATCH, QueueModel
from desktop.services.queue_source import QueueSource
from engine.api import Project
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui

N = 100_000


@pytest.fixture(scope="module")
def big_project_path(tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("big") / "big"
    # 1,000 documents of 100 lines (one giant document makes the engine's search quadratic)
    with Project.create(path, ["PER", "LOC"]) as project:
        for d in range(N // 100):
            lines, segments, pos = [], [], 0
            for i in range(d * 100, d * 100 + 100):
                line = f"Sentence {i} says that Ada Lovelace visited Paris."
                lines.append(line)
                segments.append((pos, pos + len(line)))
                pos += len(line) + 1
            add_document(project, "\n".join(lines), segments=segments)
    return path


def test_open_100k_project_in_under_two_seconds(
    qtbot, make_window, big_project_path, record_property
) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    started = time.perf_counter()
    window.open_path(str(big_project_path))
    QApplication.processEvents()
    elapsed = time.perf_counter() - started
    record_property("open_100k_seconds", round(elapsed, 3))
    print(f"\nopened {N:,} segments in {elapsed:.2f} s")
    # the 2 s target is measured and printed here; timing is never asserted (shared CI cores)
    assert window.queue_model.total == N
    assert window.queue_model.rowCount() == BATCH  # only the first page is loaded
    assert window.editor.content is not None

    view = window.queue_panel.view
    model = window.queue_model
    worst = 0.0
    for _ in range(5):  # scroll to the end of what is loaded; pages arrive from the reader
        rows = model.rowCount()
        t = time.perf_counter()
        view.scrollToBottom()
        QApplication.processEvents()
        worst = max(worst, time.perf_counter() - t)  # time the GUI thread was busy
        qtbot.waitUntil(lambda rows=rows: model.rowCount() > rows, timeout=10_000)
    record_property("scroll_step_gui_seconds", round(worst, 3))
    print(f"worst GUI time of a scroll step: {worst * 1000:.0f} ms")
    assert model.rowCount() >= 6 * BATCH


def test_fetch_more_pages_in_order(qtbot, big_project_path) -> None:  # type: ignore[no-untyped-def]
    with Project.open(big_project_path, read_only=True) as project:
        model = QueueModel()
        model.set_source(QueueSource(project))
        ids = [model.segment_at(r) for r in range(model.rowCount())]
        model.fetchMore()
        assert model.loading and not model.canFetchMore()
        qtbot.waitUntil(lambda: model.rowCount() == 2 * BATCH, timeout=10_000)
        more = [model.segment_at(r) for r in range(BATCH, model.rowCount())]
        assert len(set(ids + more)) == 2 * BATCH
        model.set_filter("todo", "Sentence 99999 ")
        assert model.total == 1 and model.rowCount() == 1
        model.set_filter("labelled")
        assert model.total == 0 and not model.canFetchMore()
        model.set_source(None)
        model.shutdown()


def test_pages_follow_the_stored_order_by_cursor(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Deep pages seek by the last row's priority: labelling a loaded row shifts nothing."""
    from engine.active_learning.queue import COLD_START, store_order

    with Project.create(tmp_path / "p", ["PER"]) as project:
        lines = [f"Line {i} about Ada." for i in range(3 * BATCH)]
        starts = [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]
        ids = add_document(
            project,
            "\n".join(lines),
            segments=[(s, s + len(x)) for s, x in zip(starts, lines, strict=True)],
        )
        order = ids[::-1]  # the stored order is the reverse of import order
        with project.db.write() as conn:
            store_order(conn, COLD_START, COLD_START, order)
        model = QueueModel()
        model.set_source(QueueSource(project))
        assert [model.segment_at(r) for r in range(BATCH)] == order[:BATCH]
        project.annotations.set_status(order[3], "labelled")  # a loaded row leaves "todo"
        model.fetchMore()
        qtbot.waitUntil(lambda: model.rowCount() == 2 * BATCH, timeout=10_000)
        # with OFFSET paging the first row of this page would be skipped
        assert [model.segment_at(r) for r in range(BATCH, 2 * BATCH)] == order[BATCH : 2 * BATCH]
        model.set_source(None)
        model.shutdown()
