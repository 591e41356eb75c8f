"""Cancel and quit messages say what really happened (issue 11, item 6)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.dialogs import prompts
from engine.progress import ProgressEvent
from tests.desktop import fake_jobs
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui


def waiting_rescore(project: Any, *, version: str | None = None, on_event: Any, cancel: Any) -> Any:
    """A rescore that runs until it is cancelled (and stores nothing, like the real one)."""
    for _ in range(1000):
        cancel.raise_if_cancelled()
        on_event(ProgressEvent("score", 0, 1))
        time.sleep(0.01)
    raise AssertionError("the test did not cancel the rescore")


@pytest.fixture
def window(make_project, make_window):  # type: ignore[no-untyped-def]
    project = make_project()
    add_document(project, "Angela Merkel visited Paris. Google hired John Smith.")
    return make_window(project, jobs={"train": fake_jobs.quick_train, "rescore": waiting_rescore})


def test_cancel_while_updating_suggestions_says_the_new_version_is_active(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    s, panel = window.session, window.model_panel
    qtbot.mouseClick(panel.retrain_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.job_running == "rescore", timeout=5000)
    with qtbot.waitSignal(s.job_cancelled, timeout=5000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    text = panel.job_label.text()
    assert s.project.versions.active().name == "v0001"
    assert "v0001 is trained and active" in text
    assert "nothing was changed" not in text
    assert "v0001 is trained and active" in window.status.currentMessage()


def test_quit_question_while_updating_suggestions_after_a_kept_run(
    qtbot, window, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    monkeypatch.setattr(
        prompts,
        "confirm_quit_during_job",
        lambda _parent, question: asked.append(question) or False,
    )
    s = window.session
    s.retrain()
    qtbot.waitUntil(lambda: s.job_running == "rescore", timeout=5000)
    window.close()
    assert window.isVisible()  # "Keep running"
    assert asked and asked[0].startswith("Updating suggestions is still running.")
    assert "v0001 is trained and active and kept" in asked[0]
    assert "Nothing it did" not in asked[0]
    with qtbot.waitSignal(s.job_cancelled, timeout=5000):
        s.cancel_job()


def test_quit_question_and_cancel_text_during_training(
    qtbot, make_project, make_window, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    add_document(project, "Angela Merkel visited Paris.")
    window = make_window(project, jobs={"train": fake_jobs.slow_train})
    asked: list[str] = []
    monkeypatch.setattr(
        prompts,
        "confirm_quit_during_job",
        lambda _parent, question: asked.append(question) or False,
    )
    s = window.session
    with qtbot.waitSignal(s.job_progressed, timeout=3000):
        s.retrain()
    window.close()
    assert "Training is still running" in asked[0] and "this run is not kept" in asked[0]
    with qtbot.waitSignal(s.job_cancelled, timeout=5000):
        s.cancel_job()
    assert "no new version was made" in window.model_panel.job_label.text()
    assert project.versions.get_all() == []
