"""Nothing resizes the window, long texts elide, and 1024×700 stays usable (items 5 and 11)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from engine.progress import TrainEvent
from tests.desktop import fake_jobs
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui

LONG = "Training · " + " · ".join(f"step {i} of a very long description" for i in range(40))


@pytest.fixture
def window(make_project, make_window):  # type: ignore[no-untyped-def]
    project = make_project()
    for i in range(60):
        add_document(project, f"Row {i}: " + "Ada Lovelace met Charles Babbage in London. " * 8)
    window = make_window(project)
    for _ in range(5):
        fake_jobs.register_version(project, 0.5, 10)
    window.session.versions_changed.emit()
    return window


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def test_long_progress_and_messages_never_widen_the_window(window) -> None:  # type: ignore[no-untyped-def]
    window.resize(1400, 860)
    settle()
    before = window.size()
    window._on_session_job_started("train")
    window._on_session_job_progressed(
        "train", TrainEvent(epoch=3, epochs=10, step=5, total_steps=9, loss=0.5)
    )
    window.status.set_job(LONG)
    window.model_panel.job_label.setText(LONG)
    window.model_panel.active_label.setText(LONG)
    window.position_label.setText(LONG)
    window.model_panel.show_job_ended(LONG)
    settle()
    assert window.size() == before
    label = window.model_panel.job_label
    assert label.text() == LONG and label.shown_text().endswith("…")
    assert LONG in label.toolTip()


def test_usable_at_1024_by_700(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.resize(1024, 700)
    settle()
    assert (window.width(), window.height()) == (1024, 700)
    view = window.queue_panel.view
    assert not view.horizontalScrollBar().isVisible()
    assert view.viewport().width() >= 150
    versions = window.model_panel.versions_view
    rows = versions.verticalHeader().defaultSectionSize()
    visible = (versions.viewport().height()) / rows
    assert visible >= 3, visible
    assert window.editor.viewport().width() >= 300
    assert window.minimumSizeHint().width() <= 1024
    assert window.minimumSizeHint().height() <= 700
    button = window.model_panel.export_button  # the panel's last widget is on screen
    bottom = button.mapTo(window, button.rect().bottomLeft()).y()
    assert button.isVisible() and bottom <= window.statusBar().y()
