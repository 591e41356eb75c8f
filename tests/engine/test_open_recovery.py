"""What a write-open finds and repairs: versions a restored database forgot, runs a kill left
'running', and the tool's own temp and staging leftovers. Nothing a person made is deleted."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from engine.api import Project
from engine.errors import ProjectLockedError
from engine.store import backups
from engine.store.database import Database
from engine.store.lifecycle import INTERRUPTED
from engine.store.lock import ProjectLock


def fake_version(
    project: Project, name: str, *, register: bool = True, truncate: bool = False
) -> Path:
    """A complete version folder as the trainer writes it (tiny weights), optionally registered."""
    folder = project.models_dir / name
    folder.mkdir(parents=True)
    save_file({"w": np.zeros((4, 4), dtype=np.float32)}, str(folder / "model.safetensors"))
    if truncate:
        data = (folder / "model.safetensors").read_bytes()
        (folder / "model.safetensors").write_bytes(data[:-10])
    (folder / "config.json").write_text(
        json.dumps({"model_type": "bert", "id2label": {"0": "O", "1": "B-PER", "2": "I-PER"}})
    )
    (folder / "tokenizer.json").write_text("{}")
    meta = {
        "labels": ["PER"],
        "tags": ["O", "B-PER", "I-PER"],
        "base_model": "tiny",
        "counts": {"train_sentences": 7},
        "metrics": {"f1": 0.5},
        "config": {"epochs": 1},
    }
    (folder / "spantune.json").write_text(json.dumps(meta))
    if register:
        project.versions.register(
            name, base_model="tiny", metrics={"f1": 0.5}, counts={"train_sentences": 7}, config={}
        )
    return folder


def test_restore_then_open_keeps_every_version(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        fake_version(project, "v0001")
        old = project.backup()
        fake_version(project, "v0002")
        path = project.path
    before = Project.restore(path, old)
    assert before is not None and before.is_file() and before.name.endswith("-pre-restore.sqlite")
    with Project.open(path) as project:
        names = [v.name for v in project.versions.get_all()]
        assert names == ["v0001", "v0002"]
        assert (project.models_dir / "v0002" / "model.safetensors").is_file()
        assert project.versions.get("v0002").metrics == {"f1": 0.5}
        assert project.versions.active().name == "v0001"  # the restored choice stands
        assert any("v0002" in n and "registered again" in n for n in project.notices)
    # the pre-restore backup holds the state the restore replaced
    with Project.open(path) as project:
        pass
    Project.restore(path, before)
    with Project.open(path, read_only=True) as project:
        assert project.versions.active().name == "v0002"


def test_incomplete_unregistered_folder_is_set_aside_not_deleted(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        fake_version(project, "v0003", register=False, truncate=True)
        (project.models_dir / "v0004").mkdir()
        (project.models_dir / "v0004" / "notes.txt").write_text("mine")
        (project.models_dir / ".tmp-v0005-abcd").mkdir()
        path = project.path
    with Project.open(path) as project:
        assert project.versions.get_all() == []
        assert sorted(p.name for p in project.models_dir.iterdir()) == []
        aside = path / "unregistered-models"
        assert (aside / "v0003" / "model.safetensors").is_file()
        assert (aside / "v0004" / "notes.txt").read_text() == "mine"
        assert len(project.notices) == 2
        assert all("moved to" in n and "nothing was deleted" in n for n in project.notices)
        assert "truncated" in " ".join(project.notices)


def test_killed_training_run_is_marked_interrupted(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        run = project.versions.start_run({"epochs": 1})
        path = project.path
    with Project.open(path, read_only=True) as project:  # read-only opens change nothing
        assert project.versions.runs()[0]["status"] == "running"
    with Project.open(path) as project:
        (r,) = project.versions.runs()
        assert r["id"] == run and r["status"] == "failed" and r["error"] == INTERRUPTED
        assert r["finished_at"]


def test_leftovers_are_removed_at_open(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        version = fake_version(project, "v0001")
        path = project.path
    stale = [
        path / "backups" / "project-20250101T000000000000Z-manual.sqlite.tmp",
        path / "backups" / "x.tmp",
    ]
    for f in stale:
        f.write_bytes(b"\0" * 100)
    staging = [
        version / ".onnx-export.staging-abc123.tmp",
        path / "exports" / ".out.staging-zz.tmp",
    ]
    for d in staging:
        d.mkdir()
        (d / "model.onnx").write_bytes(b"half")
    old = path / "exports" / ".gone.old-0123abcd"  # a kill between the two renames
    old.mkdir()
    (old / "model.onnx").write_bytes(b"complete")
    mine = path / "exports" / "my-notes.txt"
    mine.write_text("keep")
    with Project.open(path):
        pass
    assert not any(f.exists() for f in stale)
    assert not any(d.exists() for d in staging)
    assert (path / "exports" / "gone" / "model.onnx").read_bytes() == b"complete"
    assert not old.exists()
    assert mine.read_text() == "keep"
    assert (version / "model.safetensors").is_file()


def test_a_backup_being_written_is_left_alone(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        path = project.path
    tmp = path / "backups" / "project-x-manual.sqlite.tmp"
    with backups._backup_lock(path / "backups", wait=True):
        tmp.write_bytes(b"in progress")
        with Project.open(path):
            pass
        assert tmp.exists()
    with Project.open(path):
        pass
    assert not tmp.exists()


def test_restore_needs_the_project_closed_and_says_so(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        b = project.backup()
        with pytest.raises(ProjectLockedError, match="a restore needs the project closed"):
            Project.restore(project.path, b)


def test_failed_scheduled_backup_warns_and_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while the scheduled backup is written (tests/engine/test_disk_full.py
    does it for real in a subprocess): the project opens anyway, and no .tmp is left."""
    with Project.create(tmp_path / "p", ["PER"]) as project:
        path = project.path
    for p in backups.list_backups(path):
        p.unlink()

    def full(self: Database, dest: Path) -> None:
        Path(str(dest) + ".tmp").write_bytes(b"\0" * 4096)
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Database, "backup_to", full)
    with Project.open(path) as project:
        assert project.stats()["documents"] == 0
        (notice,) = project.notices
        assert "scheduled backup failed" in notice and "disk is full" in notice
        assert str(path / "backups") in notice
    assert not list((path / "backups").glob("*.tmp"))
    assert not ProjectLock(path).held


@pytest.mark.slow
def test_restore_then_open_keeps_really_trained_versions(tmp_path: Path) -> None:
    """The same with the trainer's real output: it passes the completeness check."""
    from engine.training import TrainConfig, train
    from tests.engine.conftest import add_document
    from tests.engine.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / "tiny", ["PER"])
    text = " ".join(f"john met mary in paris on day {i} ." for i in range(20))
    spans = [(i, i + 4, "PER") for i in range(len(text)) if text.startswith("john", i)]
    with Project.create(tmp_path / "p", ["PER"]) as project:
        add_document(project, text, spans=spans, labelled=True)
        config = TrainConfig(base_model=str(base), epochs=1, seed=0)
        train(project, config)
        old = project.backup()
        second = train(project, config)
        path = project.path
    Project.restore(path, old)
    with Project.open(path) as project:
        assert [v.name for v in project.versions.get_all()] == ["v0001", "v0002"]
        v2 = project.versions.get("v0002")
        assert v2.metrics == second.metrics and v2.base_model == str(base)
        assert not (path / "unregistered-models").exists()
