"""Retrain with nothing new asks first; only the kept versions hold weights (issue 11, item 7)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.dialogs import prompts
from engine.training.config import TrainResult
from tests.desktop import fake_jobs
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui


def weighty_train(project: Any, *, config: Any = None, on_event: Any, cancel: Any) -> Any:
    """Project.train around a fake trainer that writes a version with 'weights'."""
    import engine.training as training

    def fake(p: Any, c: Any, *, on_event: Any, cancel: Any) -> TrainResult:
        name = fake_jobs.register_version(p, 0.5, 10)
        folder = p.models_dir / name
        (folder / "model.safetensors").write_bytes(b"\0" * 1000)
        (folder / "onnx").mkdir()
        (folder / "onnx" / "model.onnx").write_bytes(b"\0" * 1000)
        (folder / "metrics.json").write_text("{}", encoding="utf-8")
        return TrainResult(name, str(folder), {}, {}, 0.1, (), {})

    original, training.train = training.train, fake
    try:
        return project.train(config, on_event=on_event, cancel=cancel)
    finally:
        training.train = original


@pytest.fixture
def window(make_project, make_window):  # type: ignore[no-untyped-def]
    project = make_project()
    seg = add_document(project, "Angela Merkel visited Paris.")[0]
    project.annotations.set_status(seg, "labelled")
    return make_window(project, jobs={"train": weighty_train, "rescore": fake_jobs.quick_rescore})


def retrain(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    before = len(window.session.project.versions.get_all())
    qtbot.mouseClick(window.model_panel.retrain_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            len(window.session.project.versions.get_all()) > before
            and window.session.job_running is None
        ),
        timeout=5000,
    )


def test_nothing_new_to_learn_asks_and_old_versions_lose_their_weights(
    qtbot, window, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    project = window.session.project
    project.set_settings({"keep_weights": 1})
    asked: list[str] = []
    answer = {"yes": False}
    monkeypatch.setattr(
        prompts, "confirm_retrain_unchanged", lambda _p, v: asked.append(v) or answer["yes"]
    )
    retrain(window, qtbot)
    assert asked == []  # the first run: something to learn
    qtbot.mouseClick(window.model_panel.retrain_button, Qt.MouseButton.LeftButton)
    assert asked == ["v0001"] and window.session.job_running is None
    assert "Nothing new to learn" in window.status.currentMessage()
    assert len(project.versions.get_all()) == 1
    answer["yes"] = True
    retrain(window, qtbot)  # "retrain anyway"
    retrain(window, qtbot)
    versions = {v.name: v for v in project.versions.get_all()}
    assert sorted(versions) == ["v0001", "v0002", "v0003"]
    # the active v0003 and the 1 newest other (v0002) keep their weights
    assert [n for n, v in versions.items() if v.weights_deleted] == ["v0001"]
    old = project.models_dir / "v0001"
    assert (old / "metrics.json").is_file() and not (old / "model.safetensors").exists()
    assert not (old / "onnx").exists()
    assert (project.models_dir / "v0002" / "model.safetensors").is_file()
    table = window.model_panel.versions_model
    texts = [table.index(r, 0).data() for r in range(table.rowCount())]
    assert "v0001 (scores only)" in texts
    # activating it is refused with a message that says why
    window.session.activate_version("v0001")
    assert project.versions.active().name == "v0003"
    assert "weights were deleted" in window.status.currentMessage()


def test_a_version_can_be_deleted_from_the_versions_table(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project = window.session.project
    monkeypatch.setattr(prompts, "confirm_retrain_unchanged", lambda *_a: True)
    monkeypatch.setattr(prompts, "confirm_delete_version", lambda *_a: True)
    retrain(window, qtbot)
    retrain(window, qtbot)
    panel = window.model_panel
    rows = {panel.versions_model.version_at(r).name: r for r in range(2)}
    menu = panel.version_menu(rows["v0002"])  # the active one: delete is refused
    menu.actions()[1].trigger()
    assert len(project.versions.get_all()) == 2
    assert "active version" in window.status.currentMessage()
    menu = panel.version_menu(rows["v0001"])
    assert menu.actions()[0].isEnabled()
    menu.actions()[1].trigger()
    assert [v.name for v in project.versions.get_all()] == ["v0002"]
    assert not (project.models_dir / "v0001").exists()
    assert panel.versions_model.rowCount() == 1
