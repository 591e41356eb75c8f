"""Kill real engine processes at random moments and check what survives.

Each scenario prepares a project, starts ``tests.engine.crash_child`` doing real work, kills it
with SIGKILL after a random delay, reopens the project (which cleans up leftovers) and checks
invariants. ``run_trials`` is shared by the test suite (few trials) and the benchmark (50+).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.api import Project
from engine.store.database import integrity_problem
from engine.store.schema import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Trial:
    acks: list[str]
    killed_at: float
    returncode: int | None


@dataclass
class Outcome:
    scenario: str
    trials: int = 0
    failures: list[str] = field(default_factory=list)
    completed_before_kill: int = 0


def run_child(args: list[str], delay: float, timeout: float = 300) -> Trial:
    """Start the child, wait for its 'ready', kill it ``delay`` seconds later."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.crash_child", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    acks: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            acks.append(line.strip())
            if line.startswith("ready"):
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(timeout):
        proc.kill()
        raise TimeoutError("child never became ready")
    time.sleep(delay)
    start = time.monotonic()
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout)
    reader.join(10)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, -signal.SIGKILL):
        raise RuntimeError(f"child failed on its own (rc {proc.returncode}): {err[-2000:]}")
    return Trial(acks, start, proc.returncode)


def check_integrity(db: Path) -> str | None:
    return integrity_problem(db, full=True)


# ---- scenarios ----------------------------------------------------------------------------------


def spans_trial(work: Path, rng: random.Random) -> str | None:
    project_dir = _project_with_sentences(work, 40)
    trial = run_child(["spans", str(project_dir)], rng.uniform(0.05, 1.0))
    expected: dict[int, tuple[int, int, int]] = {}
    for line in trial.acks:
        parts = line.split()
        if parts[0] == "add":
            expected[int(parts[1])] = (int(parts[2]), int(parts[3]), int(parts[4]))
        elif parts[0] == "del":
            expected.pop(int(parts[1]), None)
    if problem := check_integrity(project_dir / "project.sqlite"):
        return f"integrity: {problem}"
    with Project.open(project_dir) as project:
        rows = (
            project.db.connection()
            .execute('SELECT id, segment_id, start, "end" FROM spans')
            .fetchall()
        )
    stored = {r[0]: (r[1], r[2], r[3]) for r in rows}
    missing = [i for i in expected if i not in stored]
    extra = [i for i in stored if i not in expected]
    # only the single in-flight (unacknowledged) operation may differ
    if len(missing) + len(extra) > 1:
        return f"acknowledged spans lost: missing {missing}, unexpected {extra}"
    for i, v in expected.items():
        if i in stored and stored[i] != v:
            return f"span {i} changed: {stored[i]} != {v}"
    return None


def import_trial(work: Path, rng: random.Random, big_file: Path, lines: int) -> str | None:
    project_dir = _project_with_sentences(work, 0)
    trial = run_child(["import", str(project_dir), str(big_file)], rng.uniform(0.0, 3.0))
    if problem := check_integrity(project_dir / "project.sqlite"):
        return f"integrity: {problem}"
    with Project.open(project_dir) as project:
        stats = project.stats()
    if stats["documents"] not in (0, lines) or stats["segments"] != stats["documents"]:
        return f"partial import: {stats['documents']} documents, {stats['segments']} segments"
    if any(a.startswith("imported") for a in trial.acks) and stats["documents"] != lines:
        return "acknowledged import lost"
    return None


def migration_trial(work: Path, rng: random.Random) -> str | None:
    """Kill the real v1 -> current migration (segment texts copied out of one 3,000-sentence
    document, then the v3 tables) and check it is all or nothing."""
    project_dir = _project_with_sentences(work, 3000)
    db = project_dir / "project.sqlite"
    downgrade_to_v1(db)
    trial = run_child(["migration", str(project_dir)], rng.uniform(0.0, 1.0))
    if problem := check_integrity(db):
        return f"integrity: {problem}"
    conn = sqlite3.connect(db)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        columns = {r[1] for r in conn.execute("PRAGMA table_info(segments)")}
        if version == 1 and "text" in columns:
            return "schema changed but version not bumped"
        if version == SCHEMA_VERSION:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not {"rejected_suggestions", "patterns"} <= tables:
                return "version bumped but the v3 tables are missing"
            wrong = conn.execute(
                "SELECT COUNT(*) FROM segments s JOIN documents d ON d.id = s.document_id"
                ' WHERE s.text IS NOT substr(d.text, s.start + 1, s."end" - s.start)'
            ).fetchone()[0]
            if wrong:
                return f"half-migrated: {wrong} segments without their text"
        if version not in (1, SCHEMA_VERSION):
            return f"unexpected schema version {version}"
        if any(a == "migrated" for a in trial.acks) and version != SCHEMA_VERSION:
            return "acknowledged migration lost"
    finally:
        conn.close()
    return None


def training_trial(work: Path, rng: random.Random, base_model: Path) -> str | None:
    project_dir = _labelled_project(work)
    run_child(["training", str(project_dir), str(base_model)], rng.uniform(0.0, 12.0))
    if problem := check_integrity(project_dir / "project.sqlite"):
        return f"integrity: {problem}"
    with Project.open(project_dir) as project:
        names = {v.name for v in project.versions.get_all()}
        on_disk = {p.name for p in project.models_dir.iterdir()}
        runs = project.versions.runs()
    if names != on_disk:
        return f"model folders {sorted(on_disk)} != registered versions {sorted(names)}"
    for name in names:
        folder = project_dir / "models" / name
        for f in ("config.json", "model.safetensors", "spantune.json", "tokenizer.json"):
            if not (folder / f).is_file():
                return f"registered version {name} lacks {f}"
    if any(r["status"] == "succeeded" and r["version_id"] is None for r in runs):
        return "a succeeded run has no version"
    if any(r["status"] == "running" for r in runs):
        return "a killed run is still 'running' after the next open"
    if (project_dir / "unregistered-models").exists():
        return "a version folder was set aside: the trainer wrote an incomplete one"
    return None


def backup_trial(work: Path, rng: random.Random) -> str | None:
    """Kill a loop of online backups; every backup listed is whole, acknowledged ones stay
    (the newest ones kept), and the next open removes the killed one's .tmp."""
    from engine.store import backups

    project_dir = _project_with_sentences(work, 3000)
    for b in backups.list_backups(project_dir):
        b.unlink()
    trial = run_child(["backup", str(project_dir)], rng.uniform(0.0, 1.5))
    acked = [Path(a.split(" ", 1)[1]) for a in trial.acks if a.startswith("backup ")]
    listed = backups.list_backups(project_dir)
    for b in listed:
        if problem := check_integrity(b):
            return f"listed backup {b.name} is damaged: {problem}"
    # the unacknowledged backup in flight may already have pruned the oldest of the last KEEP
    missing = [b.name for b in acked[-(backups.KEEP - 1) :] if b not in listed]
    if missing:
        return f"acknowledged backups missing: {missing}"
    with Project.open(project_dir):
        pass
    left = sorted(p.name for p in (project_dir / "backups").glob("*.tmp"))
    return f"after the next open: {left} left" if left else None


def restore_trial(work: Path, rng: random.Random) -> str | None:
    """Kill a restore; the database is the old one or the restored one (never a mix), the
    pre-restore backup is whole, and the next open leaves no temp file."""
    from engine.store import backups
    from tests.engine.conftest import add_document

    project_dir = _project_with_sentences(work, 3000)
    with Project.open(project_dir) as project:
        backup = project.backup("manual")
        add_document(project, "One more document after the backup.")
    trial = run_child(["restore", str(project_dir), str(backup)], rng.uniform(0.0, 0.15))
    db = project_dir / "project.sqlite"
    if problem := check_integrity(db):
        return f"integrity: {problem}"
    with Project.open(project_dir) as project:
        documents = project.stats()["documents"]
    if documents not in (1, 2):
        return f"a mix of old and restored: {documents} documents"
    if any(a.startswith("restored") for a in trial.acks) and documents != 1:
        return "acknowledged restore lost"
    if documents == 1:  # restored: the state it replaced must be in a whole backup
        pre = [b for b in backups.list_backups(project_dir) if "pre-restore" in b.name]
        if not pre or check_integrity(pre[0]):
            return "restored without a whole pre-restore backup"
        conn = sqlite3.connect(pre[0])
        try:
            if conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] != 2:
                return "the pre-restore backup is not the replaced state"
        finally:
            conn.close()
    left = [
        p.name
        for p in [*project_dir.glob("*.restore-tmp"), *(project_dir / "backups").glob("*.tmp")]
    ]
    return f"after the next open: {left} left" if left else None


def rescore_trial(work: Path, rng: random.Random, trained_project: Path) -> str | None:
    """Kill a rescore (which first exports models/vNNNN/onnx-export); the next open removes
    the staging folder, and the export folder is complete or absent."""
    import shutil

    project_dir = work / "rescore.spantune"
    shutil.copytree(trained_project, project_dir)
    (project_dir / "project.lock").unlink(missing_ok=True)
    run_child(["rescore", str(project_dir)], rng.uniform(0.0, 8.0))
    if problem := check_integrity(project_dir / "project.sqlite"):
        return f"integrity: {problem}"
    with Project.open(project_dir) as project:
        version = Path(project.versions.active().path)  # type: ignore[union-attr]
    left = sorted(p.name for p in version.iterdir() if p.name.startswith(".onnx-export."))
    if left:
        return f"after the next open: {left} left"
    target = version / "onnx-export"
    if target.exists() and not (target / "model.onnx").is_file():
        return "onnx-export visible but incomplete"
    return None


_EXPORT_FILES = (
    "model.onnx",
    "config.json",
    "tokenizer.json",
    "spantune.json",
    "onnx/model.onnx",
    "onnx/model_quantized.onnx",
    "README.md",
)


def _export_problem(out: Path) -> str | None:
    for f in _EXPORT_FILES:
        if not (out / f).is_file():
            return f"export folder visible but incomplete: lacks {f}"
    try:
        json.loads((out / "spantune.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        return f"spantune.json unreadable: {exc}"
    return None


def export_trial(
    work: Path, rng: random.Random, trained_project: Path, previous_export: Path | None = None
) -> str | None:
    """Kill an export; with ``previous_export`` it overwrites that folder (rename-aside path).

    Invariants: the target is a complete export or (only without a previous one) absent; after
    the next writer's recovery the previous export is back when the new one never landed, and no
    staging or old folder is left beside it.
    """
    import shutil

    from engine.export.folder import target_lock

    project_dir = work / "exp.spantune"
    shutil.copytree(trained_project, project_dir)
    (project_dir / "project.lock").unlink(missing_ok=True)
    out = work / "out-model"
    if previous_export is not None:
        shutil.copytree(previous_export, out)
    trial = run_child(["export", str(project_dir), str(out)], rng.uniform(0.0, 10.0))
    if out.exists() and (problem := _export_problem(out)):
        return problem
    with target_lock(out):  # what the next export into ``out`` does first
        pass
    if previous_export is not None or "exported" in trial.acks:
        if not out.exists():
            return "the export folder is gone after recovery"
        if problem := _export_problem(out):
            return f"after recovery: {problem}"
    leftovers = sorted(p.name for p in work.iterdir() if p.name.startswith(".out-model."))
    if leftovers:
        return f"leftovers after recovery: {leftovers}"
    return None


# ---- helpers ------------------------------------------------------------------------------


def trained_project(root: Path, base: Path) -> Path:
    """A small labelled project with one version trained from ``base`` (for export trials)."""
    from engine.training import TrainConfig, train

    work = root / "trained"
    work.mkdir()
    path = _labelled_project(work)
    with Project.open(path) as project:
        train(project, TrainConfig(base_model=str(base), epochs=1, seed=0))
    return path


def prepared_export(project_dir: Path, out: Path) -> Path:
    """An export of the project's active version, to be overwritten in trials."""
    from engine.export.exporter import export_model

    with Project.open(project_dir, read_only=True) as project:
        version = project.versions.active()
        assert version is not None
        return export_model(Path(version.path), out).path


def downgrade_to_v1(db_path: Path) -> None:
    """Turn a fresh project database into what Spantune 1 wrote (schema version 1)."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("ALTER TABLE segments DROP COLUMN text")
        conn.execute("ALTER TABLE suggestions DROP COLUMN source")
        conn.execute("ALTER TABLE model_versions DROP COLUMN weights_deleted")
        conn.execute("DROP TABLE rejected_suggestions")
        conn.execute("DROP TABLE patterns")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    finally:
        conn.close()


def _project_with_sentences(work: Path, n: int) -> Path:
    from tests.engine.conftest import add_document

    with Project.create(work / "p", ["PER", "ORG"]) as project:
        if n:
            add_document(project, " ".join(f"Sentence number {i} is here." for i in range(n)))
        return project.path


def _labelled_project(work: Path) -> Path:
    from tests.engine.conftest import add_document

    text = " ".join(f"Ana met Bo in Paris on day {i}." for i in range(24))
    spans = [(a, b, "PER") for a, b in _find_all(text, "Ana")]
    with Project.create(work / "t", ["PER"]) as project:
        add_document(project, text, spans=spans, labelled=True)
        return project.path


def _find_all(text: str, word: str) -> list[tuple[int, int]]:
    out, pos = [], text.find(word)
    while pos >= 0:
        out.append((pos, pos + len(word)))
        pos = text.find(word, pos + 1)
    return out


def write_big_file(path: Path, lines: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(lines):
            fh.write(f"Line {i}: Ana Lopez flew from Lisbon to Oslo for Acme Corp.\n")
    return path


def run_trials(
    name: str,
    trial: Callable[[Path, random.Random], str | None],
    n: int,
    work_root: Path,
    seed: int = 0,
) -> Outcome:
    import shutil

    outcome = Outcome(name)
    rng = random.Random(seed)
    for i in range(n):
        work = work_root / f"{name}-{i}"
        work.mkdir(parents=True)
        try:
            problem = trial(work, rng)
        finally:
            outcome.trials += 1
        if problem:
            outcome.failures.append(f"trial {i}: {problem}")
        shutil.rmtree(work, ignore_errors=True)
    return outcome
