"""The project settings dialog: shows the stored values, stores only what changed, stores nothing
when a value is invalid, is read-only for a read-only project, and is reached from the File menu."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox

from desktop.dialogs.project_settings_dialog import ProjectSettingsDialog
from desktop.services.session import Session
from engine.active_learning import strategy_names
from engine.api import DEFAULT_SETTINGS, Project
from engine.errors import DiskFullError
from tests.desktop import fake_jobs
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui


_SESSIONS: list[Session] = []


@pytest.fixture(autouse=True)
def _shut_sessions_down():  # type: ignore[no-untyped-def]
    yield
    while _SESSIONS:
        _SESSIONS.pop().shutdown()


def open_dialog(qtbot, project: Project) -> ProjectSettingsDialog:  # type: ignore[no-untyped-def]
    session = Session(jobs={"rescore": fake_jobs.quick_rescore})
    _SESSIONS.append(session)
    session.adopt(project)
    dialog = ProjectSettingsDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def press_ok(qtbot, dialog: ProjectSettingsDialog) -> None:  # type: ignore[no-untyped-def]
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(combo, name: str) -> None:  # type: ignore[no-untyped-def]
    combo.setCurrentIndex(combo.findData(name))


def stored(project: Project) -> dict[str, object]:
    return {key: project.setting(key) for key in DEFAULT_SETTINGS}


def test_dialog_shows_current_values(qtbot, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    for key, value in {
        "strategy": "margin",
        "eval_share": 0.2,
        "snap_mode": "strict",
        "max_import_mb": 64,
        "backup_interval_hours": 0,
        "seed": 2**32 - 1,
        "base_model": "owner/some-model",
    }.items():
        project.set_setting(key, value)
    dialog = open_dialog(qtbot, project)
    assert dialog.strategy_combo.currentData() == "margin"
    assert dialog.strategy_combo.currentText().startswith("margin — ")
    assert dialog.eval_share_spin.value() == 20.0
    assert dialog.snap_combo.currentData() == "strict"
    assert dialog.import_mb_spin.value() == 64
    assert dialog.backup_spin.text() == "Off"
    assert int(dialog.seed_spin.value()) == 2**32 - 1
    assert dialog.base_model_edit.text() == "owner/some-model"
    assert dialog.values() == stored(project)
    assert dialog.changed_values() == {}
    listed = [dialog.strategy_combo.itemData(i) for i in range(dialog.strategy_combo.count())]
    assert sorted(listed) == strategy_names()
    mnlp = dialog.strategy_combo.itemText(listed.index("mnlp"))
    assert mnlp == "mnlp — least confident sentences, length-normalised (default)"
    assert not dialog.read_only_note.isVisible() and not dialog.strategy_note.isVisible()


def test_unknown_stored_strategy_is_listed_and_kept(qtbot, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    with project.db.write() as conn:  # written by another Spantune with a plug-in strategy
        conn.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('strategy', ?)",
            (json.dumps("coreset"),),
        )
    dialog = open_dialog(qtbot, project)
    assert dialog.strategy_combo.currentText() == "coreset (not available)"
    dialog.seed_spin.setValue(5)
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert project.setting("strategy") == "coreset" and project.setting("seed") == 5


def test_ok_stores_only_the_changed_values(qtbot, make_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    before = stored(project)
    written: list[str] = []
    set_settings = project.set_settings
    monkeypatch.setattr(
        project, "set_settings", lambda values: written.extend(values) or set_settings(values)
    )
    dialog = open_dialog(qtbot, project)
    choose(dialog.strategy_combo, "bald")
    assert dialog.strategy_note.isVisible()
    assert "next retrain" in dialog.strategy_note.text()  # no model yet
    dialog.eval_share_spin.setValue(25.0)
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert sorted(written) == ["eval_share", "strategy"]
    assert dialog.saved == {"strategy": "bald", "eval_share": 0.25}
    assert stored(project) == {**before, "strategy": "bald", "eval_share": 0.25}


def test_out_of_range_value_keeps_the_dialog_open_and_stores_nothing(qtbot, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    before = stored(project)
    dialog = open_dialog(qtbot, project)
    choose(dialog.strategy_combo, "random")  # valid, but must not be stored alone
    dialog.eval_share_spin.setMaximum(90.0)
    dialog.eval_share_spin.setValue(80.0)
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    error = dialog.errors["eval_share"]
    assert error.isVisible() and error.text().startswith("Evaluation share: must be a number")
    assert stored(project) == before and dialog.saved == {}

    dialog.eval_share_spin.setValue(30.0)  # fixed: OK stores both, the error goes away
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted and not error.isVisible()
    assert project.setting("strategy") == "random" and project.setting("eval_share") == 0.3


@pytest.mark.parametrize("case", ["missing", "not_a_model"])
def test_bad_base_model_folder_stores_nothing(qtbot, make_project, tmp_path, case) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    folder = tmp_path / "models" / "mine"
    if case == "not_a_model":
        folder.mkdir(parents=True)
    before = stored(project)
    dialog = open_dialog(qtbot, project)
    dialog.seed_spin.setValue(11)
    dialog.base_model_edit.setText(str(folder))
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    message = dialog.errors["base_model"].text()
    assert message.startswith("Base model: ")
    assert ("does not exist" if case == "missing" else "no config.json") in message
    assert dialog.focusWidget() is dialog.base_model_edit
    assert stored(project) == before


def test_base_model_folder_hub_id_and_bundled(qtbot, make_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    folder = tmp_path / "my-model"
    folder.mkdir()
    # what the cheap check at settings time looks at: a known architecture, safetensors
    # weights (a pickled-only folder is refused now) and a tokenizer
    (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"")
    (folder / "vocab.txt").write_text("[PAD]\n", encoding="utf-8")
    for text, expected in (
        (str(folder), str(folder)),
        ("owner/name", "owner/name"),
        ("", "bundled"),
    ):
        dialog = open_dialog(qtbot, project)
        dialog.base_model_edit.setText(text)
        press_ok(qtbot, dialog)
        assert dialog.result() == QDialog.DialogCode.Accepted
        assert project.setting("base_model") == expected


def test_failed_write_stores_none_of_the_values(qtbot, make_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from contextlib import contextmanager

    project = make_project()
    before = stored(project)
    real_write = project.db.write

    @contextmanager
    def write_then_fail():  # type: ignore[no-untyped-def]
        with real_write() as conn:
            yield conn  # the settings are written inside the transaction ...
            raise DiskFullError("the disk is full; nothing was saved")  # ... then it fails

    monkeypatch.setattr(project.db, "write", write_then_fail)
    dialog = open_dialog(qtbot, project)
    choose(dialog.snap_combo, "contract")
    dialog.seed_spin.setValue(9)
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert [b for b in dialog.findChildren(QMessageBox, "error_dialog") if b.isVisible()]
    monkeypatch.undo()
    assert stored(project) == before


def test_read_only_project_shows_disabled_fields(qtbot, make_project) -> None:  # type: ignore[no-untyped-def]
    p = make_project()
    p.set_setting("strategy", "entropy_max")
    path = p.path
    p.close()
    with Project.open(path, read_only=True) as project:
        dialog = open_dialog(qtbot, project)
        assert dialog.read_only_note.isVisible()
        assert dialog.strategy_combo.currentData() == "entropy_max"
        for field in dialog.fields.values():
            assert not field.widget.isEnabled()
        assert not dialog.browse_button.isEnabled() and not dialog.base_model_edit.isEnabled()
        assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok) is None
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Close), Qt.MouseButton.LeftButton
        )
        assert dialog.result() == QDialog.DialogCode.Rejected
        dialog.close()


def test_menu_action_opens_the_dialog_only_with_a_project(
    qtbot, make_window, make_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    opened: list[ProjectSettingsDialog] = []
    monkeypatch.setattr(ProjectSettingsDialog, "exec", lambda self: opened.append(self) or 0)
    window = make_window()
    action = window.actions["settings"]
    assert action.shortcut().toString() == "Ctrl+,"
    file_menu = window.menuBar().actions()[0].menu()
    assert action in file_menu.actions()
    assert not action.isEnabled()
    project = make_project()
    window.session.adopt(project)
    assert action.isEnabled()
    action.trigger()
    assert len(opened) == 1 and opened[0].values() == stored(project)
    window.session.close_project()
    assert not action.isEnabled()


def test_strategy_change_rescores_when_a_model_is_active(
    qtbot, make_window, make_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    add_document(project, "Angela Merkel visited Paris.")
    fake_jobs.register_version(project, 0.5, 10)

    def change_strategy(self: ProjectSettingsDialog) -> bool:
        assert "when you press OK" in self.strategy_note.text()
        choose(self.strategy_combo, "margin")
        return self.save()

    monkeypatch.setattr(ProjectSettingsDialog, "exec", change_strategy)
    window = make_window(project, jobs={"rescore": fake_jobs.quick_rescore})
    s = window.session
    with qtbot.waitSignals(
        [s.queue_changed, s.job_started, s.job_finished, s.queue_changed],
        order="strict",
        timeout=10_000,
    ):
        window.actions["settings"].trigger()
    assert project.setting("strategy") == "margin"


def test_ray_address_is_shown_checked_and_stored(qtbot, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    dialog = open_dialog(qtbot, project)
    assert dialog.ray_edit.text() == "" and dialog.ray_edit.placeholderText() == "off"
    dialog.ray_edit.setText("somewhere")  # neither off/local/auto nor an address
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.errors["ray"].text().startswith("Score the pool on Ray: must be off, local")
    assert project.setting("ray") == "off"
    dialog.ray_edit.setText(" ray://head:10001 ")
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert project.setting("ray") == "ray://head:10001"
    again = open_dialog(qtbot, project)
    assert again.ray_edit.text() == "ray://head:10001"
    again.ray_edit.clear()  # empty: back to this computer
    press_ok(qtbot, again)
    assert project.setting("ray") == "off"
