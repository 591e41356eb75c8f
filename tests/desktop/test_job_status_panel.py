"""JobStatusPanel driven by a fake session: only its own job, determinate or busy bar, outcomes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Signal

from desktop.errors import describe
from desktop.widgets.job_status_panel import JobStatusPanel
from engine.errors import FormatError
from engine.progress import ProgressEvent, TrainEvent

pytestmark = pytest.mark.gui

CANCELLED = "Import cancelled; nothing was imported from the current file."


class FakeSession(QObject):
    """The four job signals of desktop.services.session.Session, emitted by the test."""

    job_progressed = Signal(str, object)
    job_finished = Signal(str, object)
    job_failed = Signal(str, object)
    job_cancelled = Signal(str)


@pytest.fixture
def session(qtbot):  # type: ignore[no-untyped-def]
    return FakeSession()


@pytest.fixture
def panel(qtbot, session):  # type: ignore[no-untyped-def]
    widget = JobStatusPanel(session, "import", action="Import", cancelled_text=CANCELLED)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def record(panel: JobStatusPanel) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []
    panel.finished.connect(lambda result: seen.append(("finished", result)))
    panel.failed.connect(lambda error: seen.append(("failed", error)))
    panel.cancelled.connect(lambda: seen.append(("cancelled", None)))
    return seen


def test_other_jobs_are_ignored(qtbot, session, panel) -> None:  # type: ignore[no-untyped-def]
    seen = record(panel)
    panel.start("Importing…")
    session.job_progressed.emit("export_model", ProgressEvent("export", 1, 3, "exporting"))
    session.job_finished.emit("cold_start", object())
    session.job_failed.emit("train", FormatError("bad", path="other.jsonl", line=1))
    session.job_cancelled.emit("rescore")
    assert seen == []
    assert panel.status.text() == "Importing…"
    assert panel.progress.isVisible() and panel.progress.maximum() == 0


def test_bar_is_busy_until_an_event_has_a_total(qtbot, session, panel) -> None:  # type: ignore[no-untyped-def]
    assert not panel.progress.isVisible()
    panel.start("Importing…")
    assert panel.progress.isVisible()
    assert (panel.progress.minimum(), panel.progress.maximum()) == (0, 0)

    session.job_progressed.emit("import", ProgressEvent("import", 1, 3, "importing a.jsonl"))
    assert (panel.progress.maximum(), panel.progress.value()) == (3, 1)
    assert panel.status.text() == "Importing · 1/3 · importing a.jsonl"

    session.job_progressed.emit("import", ProgressEvent("import", 2, None, "counting"))
    assert panel.progress.maximum() == 0
    assert panel.status.text() == "Importing · counting"

    session.job_progressed.emit("import", TrainEvent(epoch=1, epochs=2, step=5, total_steps=10))
    assert (panel.progress.maximum(), panel.progress.value()) == (10, 5)
    assert panel.status.text() == "Importing · epoch 1/2 · 50%"


def test_finished_fires_once_with_the_result(qtbot, session, panel) -> None:  # type: ignore[no-untyped-def]
    seen = record(panel)
    panel.start("Importing…")
    result = object()
    with qtbot.waitSignal(panel.finished) as blocker:
        session.job_finished.emit("import", result)
    assert blocker.args == [result]
    assert seen == [("finished", result)]
    assert not panel.progress.isVisible()
    assert panel.status.text() == "Importing…"  # the owner writes what the result means


def test_failed_fires_once_and_says_what_went_wrong(qtbot, session, panel) -> None:  # type: ignore[no-untyped-def]
    seen = record(panel)
    panel.start("Importing…")
    error = FormatError("not valid JSON", path="notes.jsonl", line=2)
    session.job_failed.emit("import", error)
    assert seen == [("failed", error)]
    assert not panel.progress.isVisible()
    assert panel.status.text() == describe(error, "Import").text
    assert "notes.jsonl" in panel.status.text()


def test_cancelled_fires_once_and_shows_the_cancel_text(qtbot, session, panel) -> None:  # type: ignore[no-untyped-def]
    seen = record(panel)
    panel.start("Importing…")
    session.job_progressed.emit("import", ProgressEvent("import", 1, 2))
    session.job_cancelled.emit("import")
    assert seen == [("cancelled", None)]
    assert not panel.progress.isVisible()
    assert panel.status.text() == CANCELLED


def test_a_deleted_panel_no_longer_listens(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    panel = JobStatusPanel(session, "import", action="Import", cancelled_text=CANCELLED)
    with qtbot.waitSignal(panel.destroyed):
        panel.deleteLater()
    with qtbot.capture_exceptions() as exceptions:
        session.job_progressed.emit("import", ProgressEvent("import", 1, 2))
        session.job_finished.emit("import", object())
        session.job_failed.emit("import", FormatError("bad", path="a.jsonl", line=1))
        session.job_cancelled.emit("import")
    assert exceptions == []
