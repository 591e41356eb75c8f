"""A full disk never ends in a traceback: every CLI command that writes says, in one
``spantune: error:`` line, what it could not write and where, and leaves nothing half-written.

The disk is "full" for a child process through ``RLIMIT_FSIZE`` (every file it writes stops at
``LIMIT`` bytes; Python ignores SIGXFSZ, so writes fail with EFBIG as on a full disk). The base
model has a large position table, so its weights (and their ONNX export) exceed the limit while
the project database stays below it.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api import Project
from engine.store import backups
from engine.store.database import integrity_problem

REPO = Path(__file__).resolve().parents[2]
LIMIT = 1_000_000
CLI = "import sys; from engine.cli.main import main; sys.exit(main())"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")


def spantune_limited(*argv: str, limit: int = LIMIT) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", CLI, *argv],
        cwd=REPO,
        env=env,
        text=True,
        capture_output=True,
        preexec_fn=cap,
        timeout=300,
    )


def assert_one_error_line(result: subprocess.CompletedProcess[str], *names: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-3000:])
    lines = [line for line in result.stderr.splitlines() if line.strip() and "%|" not in line]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("spantune: error: "), lines
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with one trained version (weights > LIMIT), an unlabelled pool and backups."""
    from engine.training import TrainConfig, train
    from tests.engine.conftest import add_document
    from tests.engine.tiny_model import build_tiny_model

    root = tmp_path_factory.mktemp("full")
    base = build_tiny_model(root / "tiny", ["PER"], max_position_embeddings=12_000)
    assert (base / "model.safetensors").stat().st_size > 1.4 * LIMIT
    text = " ".join(f"john met mary in paris on day {i} ." for i in range(30))
    spans = [(i, i + 4, "PER") for i in range(len(text)) if text.startswith("john", i)]
    with Project.create(root / "P", ["PER"]) as project:
        add_document(project, text, spans=spans, labelled=True)
        add_document(project, " ".join(f"mary went to london {i} ." for i in range(30)))
        train(project, TrainConfig(base_model=str(base), epochs=1, seed=0))
        project.backup()
        assert (project.path / "project.sqlite").stat().st_size < LIMIT / 3
        return project.path


@pytest.fixture
def project(trained: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "P.spantune"
    shutil.copytree(trained, dest)
    (dest / "project.lock").unlink(missing_ok=True)
    return dest


def test_backup_on_a_full_disk(project: Path) -> None:
    before = backups.list_backups(project)
    line = assert_one_error_line(
        spantune_limited("backup", str(project), limit=60_000),
        "could not write the backup",
        str(project / "backups"),
    )
    # SQLite says "disk I/O error" for EFBIG (a size limit), "disk is full" for ENOSPC
    assert "disk is full" in line or "disk I/O error" in line
    assert backups.list_backups(project) == before
    assert not list((project / "backups").glob("*.tmp"))


def test_restore_on_a_full_disk_changes_nothing(project: Path) -> None:
    latest = backups.list_backups(project)[0]
    db = project / "project.sqlite"
    with Project.open(project) as p:  # a change after the backup that a restore would undo
        p.labels.add("ORG")
    assert_one_error_line(
        spantune_limited("restore", str(project), str(latest), limit=60_000),
        "could not write",
        str(project),
    )
    with Project.open(project, read_only=True) as p:
        assert "ORG" in [lab.name for lab in p.labels.get_all()]
    assert integrity_problem(db, full=True) is None
    assert not list((project / "backups").glob("*.tmp"))
    assert not (project / "project.sqlite.restore-tmp").exists()


def test_import_on_a_full_disk_stores_nothing(project: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text(
        "".join(f"line {i} of a long file about ana in lisbon .\n" for i in range(40_000)),
        encoding="utf-8",
    )
    with Project.open(project, read_only=True) as p:
        docs = p.stats()["documents"]
    assert_one_error_line(
        spantune_limited("import", str(project), str(big), "--format", "text-lines"),
        "could not write the project database",
        str(project),
    )
    with Project.open(project, read_only=True) as p:
        assert p.stats()["documents"] == docs


@pytest.mark.slow
def test_train_on_a_full_disk_registers_nothing(project: Path) -> None:
    with Project.open(project, read_only=True) as p:
        base = p.versions.get_all()[0].base_model
    line = assert_one_error_line(
        spantune_limited("train", str(project), "--base-model", base, "--epochs", "1"),
        "could not write the trained model",
        str(project / "models"),
    )
    assert "disk is full" in line
    with Project.open(project) as p:
        assert [v.name for v in p.versions.get_all()] == ["v0001"]
        assert sorted(x.name for x in (project / "models").iterdir()) == ["v0001"]
        assert p.versions.runs()[-1]["status"] == "failed"


@pytest.mark.slow
def test_export_model_on_a_full_disk(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_one_error_line(
        spantune_limited("export-model", str(project), str(out)),
        "could not write the ONNX export",
        str(out),
    )
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


@pytest.mark.slow
def test_rescore_on_a_full_disk(project: Path) -> None:
    target = project / "models" / "v0001" / "onnx-export"
    assert_one_error_line(
        spantune_limited("rescore", str(project)), "could not write the ONNX export", str(target)
    )
    assert not target.exists()
    assert not [p for p in target.parent.iterdir() if ".staging-" in p.name]


def test_scheduled_backup_on_a_full_disk_warns_and_opens(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for b in backups.list_backups(project):
        b.unlink()
    # the log file is past the limit too: losing log lines must not print a traceback
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "spantune.log").write_text("x" * 70_000, encoding="utf-8")
    monkeypatch.setenv("SPANTUNE_LOG_DIR", str(logs))
    result = spantune_limited("labels", str(project), "add", "ORG", limit=60_000)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "scheduled backup failed" in lines[0], lines
    assert str(project / "backups") in lines[0]
    with Project.open(project, read_only=True) as p:
        assert "ORG" in [lab.name for lab in p.labels.get_all()]
    assert not list((project / "backups").glob("*.tmp"))


def test_reading_on_a_full_disk_is_not_called_damage(project: Path) -> None:
    """Reading a WAL database creates its -shm file; when even that cannot be written the
    error says so (it used to call the project "damaged")."""
    for suffix in ("-shm", "-wal"):
        Path(str(project / "project.sqlite") + suffix).unlink(missing_ok=True)
    line = assert_one_error_line(
        spantune_limited("stats", str(project), limit=1000),
        "could not write the shared-memory file",
        str(project / "project.sqlite-shm"),
    )
    assert "damaged" not in line
