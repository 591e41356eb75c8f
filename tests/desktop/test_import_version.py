"""Model → Import Version…: a version trained elsewhere is checked, registered and used."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop.services.jobs import DEFAULT_JOBS
from tests.desktop import fake_jobs
from tests.desktop.conftest import LABELS, add_document

pytestmark = pytest.mark.gui


def trained_folder(tmp_path: Path, labels: list[str]) -> Path:
    from engine.training import TrainConfig, train_examples
    from engine.types import LabelledExample, SpanData
    from tests.engine.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / f"base-{len(labels)}", labels)
    examples = [
        LabelledExample(i, "john smith visited paris", (SpanData(0, 10, labels[0]),))
        for i in range(4)
    ]
    out = tmp_path / f"remote-{len(labels)}"
    train_examples(
        examples,
        [],
        labels,
        TrainConfig(
            base_model=str(base),
            epochs=1,
            batch_size=2,
            threads=1,
            max_length=32,
            stride=8,
            device="cpu",
        ),
        out,
    )
    return out


def test_import_version_from_the_model_menu(
    qtbot,
    make_window,
    make_project,
    tmp_path,  # type: ignore[no-untyped-def]
    monkeypatch,
) -> None:
    project = make_project()
    add_document(project, "Angela Merkel visited Paris.")
    window = make_window(
        project,
        jobs={"import_version": DEFAULT_JOBS["import_version"], "rescore": fake_jobs.quick_rescore},
    )
    wrong = trained_folder(tmp_path, ["PER"])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(wrong))
    with qtbot.waitSignal(window.session.job_failed, timeout=20000):
        window.actions["import_version"].trigger()
    boxes = [b for b in window.findChildren(QMessageBox, "error_dialog") if b.isVisible()]
    assert len(boxes) == 1 and "does not match the project" in boxes[0].text()
    boxes[0].accept()
    assert project.versions.get_all() == []

    good = trained_folder(tmp_path, list(LABELS))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(good))
    with qtbot.waitSignal(window.session.queue_changed, timeout=20000):
        window.actions["import_version"].trigger()
    assert project.versions.active().name == "v0001"
    assert window.model_panel.versions_model.rowCount() == 1
    assert "trained on cpu" in window.model_panel.active_label.text()
