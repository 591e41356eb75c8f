"""File → Back Up Now (also read-only, beside another writer), open notices, and Ctrl+T on a
read-only project."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from engine.api import Project
from engine.store import backups
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui


def test_back_up_now_writes_a_backup(make_window, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    window = make_window(project)
    before = len(backups.list_backups(project.path))
    assert window.actions["backup"].isEnabled()
    window.actions["backup"].trigger()
    after = backups.list_backups(project.path)
    assert len(after) == before + 1 and after[0].name.endswith("-manual.sqlite")
    assert str(after[0]) in window.status.currentMessage()


def test_read_only_project_backs_up_but_cannot_retrain(
    make_window,
    make_project,  # type: ignore[no-untyped-def]
    qtbot,
) -> None:
    p = make_project()
    add_document(p, "Angela Merkel visited Paris.")
    path = p.path
    p.close()
    holder = Project.open(path)  # "another Spantune" holds it for writing
    try:
        project = Project.open(path, read_only=True)
        window = make_window(project)
        started: list[str] = []
        window.session.job_started.connect(started.append)
        assert not window.actions["retrain"].isEnabled()
        QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
        qtbot.wait(50)
        assert started == []
        before = len(backups.list_backups(path))
        window.actions["backup"].trigger()
        assert len(backups.list_backups(path)) == before + 1
    finally:
        holder.close()


def test_open_notices_are_shown_without_blocking(make_window, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    project.notices = ["the scheduled backup failed (disk full); the project is open"]
    window = make_window(project)
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "scheduled backup failed" in boxes[0].text()
    assert not boxes[0].isModal()
