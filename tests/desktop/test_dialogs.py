"""Dialogs driven directly: import (preview, per-file errors), labels, model export, new project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.dialogs import prompts
from desktop.dialogs.export_model_dialog import ExportModelDialog, usage_snippet
from desktop.dialogs.import_dialog import ImportDialog
from desktop.dialogs.label_manager_dialog import LabelManagerDialog
from desktop.dialogs.new_project_dialog import NewProjectDialog
from desktop.services.session import Session
from engine.progress import ProgressEvent
from tests.desktop import fake_jobs
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui


@pytest.fixture
def session(qtbot):  # type: ignore[no-untyped-def]
    s = Session(jobs={"cold_start": fake_jobs.quick_rescore, "rescore": fake_jobs.quick_rescore})
    yield s
    s.shutdown()


def write_jsonl(path: Path, records: list[str]) -> Path:
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    return path


def test_import_preview_errors_and_partial_import(qtbot, session, make_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session.adopt(make_project())
    good = write_jsonl(
        tmp_path / "good.jsonl",
        [
            json.dumps(
                {
                    "text": "Ada Lovelace met Babbage.",
                    "spans": [{"start": 0, "end": 12, "label": "PER"}],
                }
            ),
            json.dumps({"text": "Paris is big.", "spans": []}),
        ],
    )
    bad = write_jsonl(tmp_path / "bad.jsonl", [json.dumps({"text": "Fine line."}), "{broken"])
    plain = tmp_path / "notes.txt"
    plain.write_text("First sentence here. Second one.\n", encoding="utf-8")
    dialog = ImportDialog(session)
    qtbot.addWidget(dialog)
    dialog.add_files([str(good), str(bad), str(plain)])
    qtbot.waitUntil(lambda: dialog.preview.rowCount() == 2, timeout=5000)
    assert "jsonl" in dialog.detected.text()
    assert dialog.preview.item(0, 1).text() == "PER: Ada Lovelace"

    dialog.files.setCurrentRow(1)  # the broken file: its error shows in the preview line
    qtbot.waitUntil(lambda: "line 2" in dialog.detected.text(), timeout=5000)

    with qtbot.waitSignal(session.job_finished, timeout=10_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.errors.count() == 1
    assert "bad.jsonl, line 2" in dialog.errors.item(0).text()
    assert "2 file(s)" in dialog.status.text()
    project = session.project
    texts = [s.text for s in project.segments(limit=50)]
    assert "Fine line." not in texts  # the failed file imported nothing
    assert "Ada Lovelace met Babbage." in texts and "Second one." in texts
    assert session.job_running == "cold_start"  # then the queue is ordered
    with qtbot.waitSignal(session.queue_changed, timeout=5000):
        pass
    dialog.reject()


def test_label_manager(qtbot, session, make_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    seg = add_document(project, "Ada Lovelace met Babbage.")[0]
    project.annotations.add_span(seg, 0, 12, "PER")
    session.adopt(project)
    dialog = LabelManagerDialog(session)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(session.labels_changed):
        assert dialog.add_label("MISC")
    assert [lab.name for lab in project.labels.get_all()] == ["PER", "ORG", "LOC", "MISC"]
    dialog.select("PER")
    assert "(1 spans)" in dialog.model.data(dialog.view.currentIndex())
    assert dialog.rename_current("Person")
    assert [s.label for s in project.annotations.spans(seg)] == ["Person"]
    assert dialog.move_current(1)
    assert [lab.name for lab in project.labels.get_all()][:2] == ["ORG", "Person"]
    assert not dialog.add_label("ORG")  # duplicate: refused, reported
    assert "already exists" in dialog.hint.text()
    asked: list[tuple[str, int]] = []
    monkeypatch.setattr(
        prompts,
        "confirm_delete_label",
        lambda parent, name, spans: asked.append((name, spans)) or True,
    )
    dialog.select("Person")
    assert dialog.delete_current()
    assert asked == [("Person", 1)]
    assert project.annotations.spans(seg) == []
    dialog.reject()


def fake_export(project, *, version, out_dir, quantize=True, on_event, cancel):  # type: ignore[no-untyped-def]
    on_event(ProgressEvent("export", 1, 3, "exporting"))
    folder = Path(out_dir)
    (folder / "onnx").mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "onnx" / "model.onnx").write_bytes(b"\0" * 904_000)
    if quantize:
        (folder / "onnx" / "model_quantized.onnx").write_bytes(b"\0" * 587_000)

    class Result:
        path = folder

    return Result()


def test_export_model_dialog_shows_folder_and_snippet(qtbot, make_project) -> None:  # type: ignore[no-untyped-def]
    session = Session(jobs={"export_model": fake_export})
    try:
        project = make_project()
        fake_jobs.register_version(project, 0.7, 30)
        session.adopt(project)
        dialog = ExportModelDialog(session)
        qtbot.addWidget(dialog)
        assert dialog.version_combo.currentData() == "v0001"
        assert dialog.folder_edit.text().endswith("v0001-onnx")
        with qtbot.waitSignal(session.job_finished, timeout=5000):
            assert dialog.start_export()
        assert dialog.snippet.isVisible() or not dialog.isVisible()
        code = dialog.snippet.toPlainText()
        assert str(project.exports_dir / "v0001-onnx") in dialog.status.text()
        # the real sizes, not a promise ("4× smaller")
        assert "fp32 0.9 MB · int8 0.6 MB (65% of fp32)" in dialog.status.text()
        assert "4×" not in dialog.quantize_check.text()
        assert "onnxruntime" in code and "model_quantized.onnx" in code
        compile(code, "snippet", "exec")
        compile(usage_snippet("/x/it's here", quantized=False), "snippet", "exec")
        dialog.reject()
    finally:
        session.shutdown()


def test_new_project_dialog_validates(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path))
    dialog.name_edit.setText("bad/name")
    dialog._on_buttons_accepted()
    assert dialog.result() == 0 and "name" in dialog.error_label.text()
    dialog.name_edit.setText("mine")
    dialog.labels_edit.setPlainText("PER\n\nDRUG\nPER\n")
    dialog._on_buttons_accepted()
    assert dialog.result() == 1
    assert dialog.project_path() == tmp_path / "mine.spantune"
    assert dialog.labels() == ["PER", "DRUG"]
    assert dialog.settings() == {"base_model": "bundled"}
