"""Retrain from the model panel through the real job thread, with fake training jobs."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.desktop import fake_jobs
from tests.desktop.conftest import add_document, worst_heartbeat_gap

pytestmark = pytest.mark.gui


@pytest.fixture
def project(make_project):  # type: ignore[no-untyped-def]
    p = make_project()
    add_document(p, "Angela Merkel visited Paris. Google hired John Smith.")
    return p


def error_boxes(window) -> list[QMessageBox]:  # type: ignore[no-untyped-def]
    return [b for b in window.findChildren(QMessageBox, "error_dialog") if b.isVisible()]


def test_retrain_adds_an_active_version(qtbot, make_window, project) -> None:  # type: ignore[no-untyped-def]
    window = make_window(
        project, jobs={"train": fake_jobs.quick_train, "rescore": fake_jobs.quick_rescore}
    )
    s = window.session
    # each job's first progress event reaches the GUI (the rescore's too: the old GUI-side
    # throttle dropped it when it came within 0.1 s of the training's last event)
    with qtbot.waitSignals(
        [
            s.job_started,
            s.job_progressed,
            s.job_finished,
            s.versions_changed,
            s.job_started,
            s.job_progressed,
            s.job_finished,
            s.queue_changed,
        ],
        order="strict",
        timeout=5000,
    ):
        qtbot.mouseClick(window.model_panel.retrain_button, Qt.MouseButton.LeftButton)
    panel = window.model_panel
    assert panel.versions_model.rowCount() == 1
    assert "v0001" in panel.active_label.text()
    assert [p.name for p in panel.chart.points] == ["v0001"]
    assert panel.metrics_model.rowCount() == 3  # two labels + micro average
    assert panel.retrain_button.isEnabled() and not panel.cancel_button.isVisible()
    qtbot.waitUntil(lambda: "v0001" in window.status.model_label.text(), timeout=2000)

    with qtbot.waitSignal(s.queue_changed, timeout=5000):
        s.retrain()
    assert panel.versions_model.rowCount() == 2
    assert [p.sentences for p in panel.chart.points] == [10, 20]
    assert project.versions.active().name == "v0002"


def test_labelling_continues_while_training(qtbot, make_window, project) -> None:  # type: ignore[no-untyped-def]
    window = make_window(
        project, jobs={"train": fake_jobs.slow_train, "rescore": fake_jobs.quick_rescore}
    )
    s = window.session
    with qtbot.waitSignal(s.job_progressed, timeout=3000):
        s.retrain()
    seg = window.navigator.current
    start = project.segment(seg).start
    assert s.add_span(seg, start, start + 6, "PER")
    assert [x.label for x in project.annotations.spans(seg)] == ["PER"]
    with qtbot.waitSignal(s.job_cancelled, timeout=2000):
        s.cancel_job()


def test_cancel_changes_nothing(qtbot, make_window, project) -> None:  # type: ignore[no-untyped-def]
    window = make_window(project, jobs={"train": fake_jobs.slow_train})
    s = window.session
    panel = window.model_panel
    with qtbot.waitSignal(s.job_progressed, timeout=3000):
        qtbot.mouseClick(panel.retrain_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isVisible() and not panel.retrain_button.isEnabled()
    with qtbot.waitSignal(s.job_cancelled, timeout=2000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    late: list[object] = []
    s.job_progressed.connect(lambda name, event: late.append(event))
    qtbot.wait(150)
    assert late == []  # no progress from the cancelled job reaches the panel afterwards
    assert project.versions.get_all() == []
    assert list(project.models_dir.iterdir()) == []
    assert panel.retrain_button.isEnabled() and "cancelled" in panel.job_label.text()
    assert not error_boxes(window)


def test_failure_shows_error_and_app_keeps_working(qtbot, make_window, project) -> None:  # type: ignore[no-untyped-def]
    window = make_window(
        project, jobs={"train": fake_jobs.failing_train, "rescore": fake_jobs.quick_rescore}
    )
    s = window.session
    with qtbot.waitSignal(s.job_failed, timeout=3000):
        s.retrain()
    boxes = error_boxes(window)
    assert len(boxes) == 1
    assert "GPU caught fire" in boxes[0].text()
    assert "TrainingError" in boxes[0].detailedText()
    boxes[0].accept()
    assert window.model_panel.retrain_button.isEnabled()
    seg = window.navigator.current
    start = project.segment(seg).start
    assert s.add_span(seg, start, start + 6, "PER")
    s._jobs["train"] = fake_jobs.quick_train
    with qtbot.waitSignal(s.queue_changed, timeout=5000):
        s.retrain()
    assert len(project.versions.get_all()) == 1


def test_missing_engine_module_is_an_error_not_a_crash(qtbot, make_window, project) -> None:  # type: ignore[no-untyped-def]
    window = make_window(project, jobs={"train": fake_jobs.missing_module_train})
    with qtbot.waitSignal(window.session.job_failed, timeout=3000):
        window.session.retrain()
    assert "not installed" in error_boxes(window)[0].text()


def test_closing_the_window_mid_job_is_clean(qtbot, make_window, project, qtlog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(project, jobs={"train": fake_jobs.slow_train})
    s = window.session
    with qtbot.waitSignal(s.job_progressed, timeout=3000):
        s.retrain()
    path = project.path
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 30.0
    assert not s.runner._thread.isRunning()
    assert s.project is None
    assert not [r for r in qtlog.records if "Destroyed while thread" in r.message]
    from engine.api import Project

    with Project.open(path) as again:  # the lock was released; nothing was written
        assert again.versions.get_all() == []


def test_heartbeat_during_busy_training(qtbot, make_window, project, record_property) -> None:  # type: ignore[no-untyped-def]
    window = make_window(
        project, jobs={"train": fake_jobs.busy_train, "rescore": fake_jobs.quick_rescore}
    )
    worst, runs = worst_heartbeat_gap(qtbot, window.session.retrain, window.session.queue_changed)
    record_property("heartbeat_max_gap_ms_window", runs)
    print(f"\nheartbeat with the main window during training: largest gap per run {runs} ms")
    # the gap is reported above; the 100 ms target is not asserted on shared CI cores


def test_a_sampled_rescore_says_so(qtbot, make_window, project) -> None:  # type: ignore[no-untyped-def]
    window = make_window(
        project, jobs={"train": fake_jobs.quick_train, "rescore": fake_jobs.sampled_rescore}
    )
    with qtbot.waitSignal(window.session.queue_changed, timeout=5000):
        window.session.retrain()
    qtbot.waitUntil(
        lambda: "random sample of 50000" in window.status.currentMessage(), timeout=3000
    )
