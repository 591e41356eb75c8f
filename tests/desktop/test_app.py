"""App-level behaviour: first run, recent projects, remembered window, a second instance."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.dialogs import prompts
from desktop.main_window import MainWindow
from desktop.services.app_settings import AppSettings
from desktop.services.session import Session
from engine.api import Project
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui


def test_first_run_offers_new_open_demo(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.start()
    assert window.stack.currentWidget() is window.welcome
    assert not window.welcome.recent_list.isVisible()
    for button in (
        window.welcome.new_button,
        window.welcome.open_button,
        window.welcome.demo_button,
    ):
        assert button.isVisible()


def test_demo_project_opens(make_window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import engine.demo

    monkeypatch.setattr(engine.demo, "demo_project_path", lambda: tmp_path / "demo.spantune")
    window = make_window()
    window.welcome.demo_button.click()
    project = window.session.project
    assert project is not None and project.path == tmp_path / "demo.spantune"
    assert window.editor.content is not None
    assert window.palette.button("PER") is not None


def test_recent_projects_and_last_project_reopen(
    qtbot, make_project, make_window, qsettings
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    add_document(project, "Ada Lovelace met Babbage.")
    path = project.path
    project.close()
    window = make_window()
    assert window.open_path(str(path))
    assert AppSettings(qsettings).recent_projects() == [str(path)]
    window.close()
    saved = AppSettings(qsettings).geometry("main")
    assert saved is not None and AppSettings(qsettings).geometry("splitter") is not None
    assert window.session.project is None

    again = MainWindow(Session(), AppSettings(qsettings))
    qtbot.addWidget(again)
    try:
        again.start()
        assert again.session.project is not None and again.session.project.path == path
        assert again.restoreGeometry(saved)  # (offscreen clamps sizes to an 800 px screen)
        again.session.close_project()
        assert again.stack.currentWidget() is again.welcome
        assert again.welcome.recent_list.count() == 1
    finally:
        again.close()


def test_second_instance_offers_read_only(make_project, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    add_document(project, "Ada Lovelace met Babbage.")
    asked: list[str] = []
    monkeypatch.setattr(prompts, "ask_open_read_only", lambda parent, p: asked.append(p) or True)
    window = make_window()
    assert window.open_path(str(project.path))  # the project is still open (locked) here
    assert asked and window.session.read_only
    assert "[read-only]" in window.windowTitle()


def test_missing_recent_project_is_reported_and_forgotten(make_window, tmp_path, qsettings) -> None:  # type: ignore[no-untyped-def]
    settings = AppSettings(qsettings)
    settings.add_recent_project(tmp_path / "gone.spantune")
    window = make_window()
    assert not window.open_path(str(tmp_path / "gone.spantune"))
    assert settings.recent_projects() == []


def test_run_app_opens_a_project_and_exits(make_project, qtbot) -> None:  # type: ignore[no-untyped-def]
    from desktop.app import run_app

    project = make_project()
    add_document(project, "Ada Lovelace met Babbage.")
    path = project.path
    project.close()
    seen: list[str] = []

    def close_all() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, MainWindow):
                seen.append(w.windowTitle())
                w.close()

    QTimer.singleShot(300, close_all)
    assert run_app([], project=path) == 0
    assert seen and seen[0].startswith(path.name)
    with Project.open(path):  # closed and unlocked
        pass
