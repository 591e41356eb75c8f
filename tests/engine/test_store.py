"""The project store: schema, transactions, threads, integrity, lock, backups, limits."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.api import Project
from engine.errors import (
    ConflictError,
    CorruptDatabaseError,
    DiskFullError,
    ProjectExistsError,
    ProjectLockedError,
    ProjectNotFoundError,
    ReadOnlyProjectError,
    SchemaTooNewError,
    ValidationError,
)
from engine.store.schema import SCHEMA_VERSION
from tests.engine.conftest import add_document

REPO = Path(__file__).resolve().parents[2]


def test_create_layout_pragmas_and_schema(project: Project) -> None:
    for sub in ("models", "exports", "backups"):
        assert (project.path / sub).is_dir()
    assert project.path.name == "p.spantune"
    conn = project.db.connection()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "labels",
        "documents",
        "segments",
        "spans",
        "suggestions",
        "model_versions",
        "training_runs",
        "al_scores",
        "settings",
    } <= tables


def test_create_refuses_existing_and_open_refuses_non_project(tmp_path: Path) -> None:
    Project.create(tmp_path / "a").close()
    with pytest.raises(ProjectExistsError):
        Project.create(tmp_path / "a")
    with pytest.raises(ProjectNotFoundError):
        Project.open(tmp_path / "nothing")
    with Project.open(tmp_path / "a") as p:  # the suffix is found by itself
        assert p.path.name == "a.spantune"


def test_labels_crud_and_validation(project: Project) -> None:
    labels = project.labels
    assert [lab.hotkey for lab in labels.get_all()] == ["1", "2", "3", "4"]
    labels.add("<img/src=x/onerror=alert(1)>", color="#112233")
    assert labels.get_all()[-1].name == "<img/src=x/onerror=alert(1)>"
    with pytest.raises(ConflictError):
        labels.add("PER")
    for bad in (" PER ", "NAMED PERSON", "A,B", "X\nY", "TAB\t", "NB\xa0SP", "", "x" * 65):
        with pytest.raises(ValidationError):
            labels.add(bad)
    with pytest.raises(ValidationError):
        labels.set_color("PER", "red")
    labels.set_hotkey("MISC", "1")  # a hotkey moves, never duplicates
    keys = {lab.name: lab.hotkey for lab in labels.get_all()}
    assert keys["MISC"] == "1" and keys["PER"] is None
    labels.reorder(["MISC", "LOC", "ORG", "PER", "<img/src=x/onerror=alert(1)>"])
    assert labels.get_all()[0].name == "MISC"


def test_spans_overlap_bounds_rename_and_remove(project: Project) -> None:
    add_document(project, "Ana works at Acme in Paris. Bo too.")
    seg = project.segments()[0]
    span = project.annotations.add_span(seg.id, 0, 3, "PER")
    assert (span.start, span.end, span.label, span.source) == (0, 3, "PER", "human")
    with pytest.raises(ConflictError):
        project.annotations.add_span(seg.id, 2, 5, "ORG")
    with pytest.raises(ValidationError):
        project.annotations.add_span(seg.id, 20, 40, "ORG")  # outside the segment
    project.annotations.add_span(seg.id, 13, 17, "ORG")
    project.labels.rename("ORG", "COMPANY")
    assert [s.label for s in project.annotations.spans(seg.id)] == ["PER", "COMPANY"]
    assert project.labels.usage("COMPANY") == 1
    assert project.labels.remove("COMPANY") == 1
    assert [s.label for s in project.annotations.spans(seg.id)] == ["PER"]
    removed = project.annotations.remove_span(span.id)
    again = project.annotations.restore_span(removed)
    assert again == removed


def test_stats_counts(project: Project) -> None:
    add_document(project, "Ana met Bo. Then Paris.", spans=[(0, 3, "PER"), (17, 22, "LOC")])
    stats = project.stats()
    assert stats["documents"] == 1 and stats["segments"] == 2
    assert stats["segments_by_status"] == {"todo": 0, "labelled": 2, "skipped": 0}
    assert stats["spans_by_label"] == {"PER": 1, "ORG": 0, "LOC": 1, "MISC": 0}


def test_span_crossing_a_sentence_boundary_merges_segments(project: Project) -> None:
    text = "He met Dr. Who. Then left."
    add_document(project, text, segments=[(0, 10), (11, 15), (16, 26)], spans=[(7, 14, "PER")])
    assert [s.text for s in project.segments()] == ["He met Dr. Who.", "Then left."]


def test_writer_and_reader_threads_never_see_locked(project: Project) -> None:
    add_document(project, "One. Two. Three.")
    seg_ids = [s.id for s in project.segments()]
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            for i in range(150):
                seg = seg_ids[i % len(seg_ids)]
                project.annotations.set_status(seg, "labelled" if i % 2 else "todo")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            stop.set()

    def reader() -> None:
        try:
            while not stop.is_set():
                project.stats()
                project.annotations.training_snapshot()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [
        threading.Thread(target=writer),
        threading.Thread(target=reader),
        threading.Thread(target=reader),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def test_second_process_is_refused_by_the_lock(project: Project) -> None:
    code = (
        "import sys; from engine.api import Project\n"
        "from engine.errors import ProjectLockedError\n"
        "try:\n    Project.open(sys.argv[1])\nexcept ProjectLockedError as e:\n"
        "    print('LOCKED', e); sys.exit(3)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(project.path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 3, out.stderr
    assert "open in another Spantune" in out.stdout and "pid" in out.stdout
    with Project.open(project.path, read_only=True) as ro:  # read-only needs no lock
        assert ro.stats()["documents"] == 0
        with pytest.raises(ReadOnlyProjectError):
            ro.labels.add("X")


def test_lock_in_same_process(project: Project) -> None:
    with pytest.raises(ProjectLockedError):
        Project.open(project.path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Project.create(tmp_path / "n").close()
    db = tmp_path / "n.spantune" / "project.sqlite"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match="newer Spantune"):
        Project.open(tmp_path / "n")


def test_version_1_project_is_migrated_with_a_backup(tmp_path: Path) -> None:
    from engine.store.backups import list_backups
    from tests.engine.crash_harness import downgrade_to_v1

    text = "Ana met Bo 😀 in Zoë's café. " * 50 + "東京 is far."
    with Project.create(tmp_path / "m", ["PER"]) as p:
        add_document(p, text, spans=[(0, 3, "PER")])
        before = [(s.id, s.text) for s in p.segments(limit=1000)]
    db = tmp_path / "m.spantune" / "project.sqlite"
    downgrade_to_v1(db)
    with Project.open(tmp_path / "m") as p:
        assert [(s.id, s.text) for s in p.segments(limit=1000)] == before
        assert len(before) > 40 and p.segments(search="東京")[0].text.startswith("東京")
        snapshot = p.annotations.training_snapshot()
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert any("pre-migration-v1" in b.name for b in list_backups(tmp_path / "m.spantune"))
    examples = (*snapshot.train, *snapshot.eval)
    assert len(examples) == len(before)  # the document was imported as labelled
    assert [(ex.text[:3], sp.label) for ex in examples for sp in ex.spans] == [("Ana", "PER")]


def _corrupt(db: Path, how: str) -> None:
    data = bytearray(db.read_bytes())
    if how == "truncate":
        db.write_bytes(bytes(data[: len(data) // 3]))
    else:
        for i in range(4096 + 100, len(data), 997):
            data[i] ^= 0xFF
        db.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_corrupt_database_is_reported_and_never_written(tmp_path: Path, how: str) -> None:
    with Project.create(tmp_path / "c", ["PER"]) as p:
        add_document(p, "Some text here. " * 400)
        p.backup("manual")
        p.db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = tmp_path / "c.spantune" / "project.sqlite"
    _corrupt(db, how)
    before = db.read_bytes()
    with pytest.raises(CorruptDatabaseError) as info:
        Project.open(tmp_path / "c")
    assert info.value.backups, "the latest backup is offered"
    assert db.read_bytes() == before
    Project.restore(tmp_path / "c", info.value.backups[0])
    with Project.open(tmp_path / "c") as p:
        assert p.stats()["documents"] == 1


def test_restore_removes_stale_wal(tmp_path: Path) -> None:
    with Project.create(tmp_path / "r", ["PER"]) as p:
        backup = p.backup()
        p.labels.add("NEW")
        wal = Path(str(p.path / "project.sqlite") + "-wal")
        assert wal.exists()
    Project.restore(tmp_path / "r", backup)
    with Project.open(tmp_path / "r") as p:
        assert [lab.name for lab in p.labels.get_all()] == ["PER"]


def test_disk_full_reports_and_keeps_earlier_data(tmp_path: Path) -> None:
    Project.create(tmp_path / "f", ["PER"]).close()
    with Project.open(tmp_path / "f", max_pages=40) as p:
        add_document(p, "Kept sentence.")
        with pytest.raises(DiskFullError, match="not saved"):
            for i in range(200):
                add_document(p, f"Filler {i} " + "x" * 4000)
        count = p.stats()["documents"]
    with Project.open(tmp_path / "f") as p:
        assert p.stats()["documents"] == count
        assert p.segments()[0].text == "Kept sentence."


def test_read_only_files_report_not_saved(tmp_path: Path) -> None:
    Project.create(tmp_path / "ro", ["PER"]).close()
    with Project.open(tmp_path / "ro", read_only=True) as p, pytest.raises(ReadOnlyProjectError):
        p.annotations.set_status(1, "labelled")


def test_training_snapshot_is_consistent_while_writing(project: Project) -> None:
    add_document(project, "Ana went home. Bo stayed.", spans=[(0, 3, "PER")], labelled=True)
    snap = project.annotations.training_snapshot()
    assert snap.labels == ("PER", "ORG", "LOC", "MISC")
    examples = snap.train + snap.eval
    assert [ex.text for ex in examples] == ["Ana went home.", "Bo stayed."]
    assert examples[0].spans[0].start == 0 and examples[0].spans[0].end == 3


def test_suggestions_accept_reject_restore(project: Project) -> None:
    add_document(project, "Ana lives in Rome.")
    seg = project.segments()[0]
    project.annotations.replace_suggestions(
        [seg.id], [(seg.id, 0, 3, "PER", 0.9, "v0001"), (seg.id, 13, 17, "GPE", 0.6, "v0001")]
    )
    sug = project.annotations.suggestions(seg.id)
    assert [s.label for s in sug] == ["PER", "GPE"]
    span = project.annotations.accept_suggestion(sug[0].id)
    assert span.source == "model" and span.label == "PER"
    rejected = project.annotations.reject_suggestion(sug[1].id)
    assert project.annotations.suggestions(seg.id) == []
    project.annotations.restore_suggestion(rejected)
    assert project.annotations.suggestions(seg.id) == [rejected]
    # a new suggestion overlapping an accepted span is not stored
    project.annotations.replace_suggestions([seg.id], [(seg.id, 0, 3, "ORG", 0.5, "v2")])
    assert project.annotations.suggestions(seg.id) == []


def test_a_rejected_suggestion_is_never_suggested_again(project: Project) -> None:
    add_document(project, "Ana lives in Rome.")
    seg = project.segments()[0]
    ann = project.annotations
    ann.replace_suggestions([seg.id], [(seg.id, 13, 17, "LOC", 0.6, "v1")])
    rejected = ann.reject_suggestion(ann.suggestions(seg.id)[0].id)
    assert [(r.start, r.end, r.label) for r in ann.rejections(seg.id)] == [(13, 17, "LOC")]
    # the next model, and a pattern, propose it again: it stays rejected
    ann.replace_suggestions([seg.id], [(seg.id, 13, 17, "LOC", 0.9, "v2")])
    ann.replace_suggestions([seg.id], [(seg.id, 13, 17, "LOC", None, None)], source="pattern")
    assert ann.suggestions(seg.id) == []
    # another label on the same words is still a new proposal; sources replace only their own
    ann.replace_suggestions([seg.id], [(seg.id, 13, 17, "ORG", 0.4, "v2")])
    ann.replace_suggestions([seg.id], [(seg.id, 0, 3, "PER", None, None)], source="pattern")
    assert [(s.label, s.source) for s in ann.suggestions(seg.id)] == [
        ("PER", "pattern"),
        ("ORG", "model"),
    ]
    # undo of the rejection forgets it
    ann.restore_suggestion(rejected)
    assert ann.rejections(seg.id) == []
    assert ann.add_rejections([(seg.id, 0, 3, "ORG", "imported")] * 2) == 1


def test_version_registry_and_orphan_cleanup(project: Project) -> None:
    versions = project.versions
    assert versions.next_name() == "v0001"
    (project.models_dir / "v0001").mkdir()
    versions.register("v0001", base_model="bundled", metrics={"f1": 0.5}, counts={}, config={})
    assert versions.active() is not None and versions.active().name == "v0001"
    (project.models_dir / "v0002").mkdir()  # renamed into place, never registered
    (project.models_dir / ".tmp-v0003-abc").mkdir()
    path = project.path
    project.close()
    with Project.open(path) as p:
        assert sorted(x.name for x in p.models_dir.iterdir()) == ["v0001"]
        p.versions.delete("v0001")
        assert p.versions.active() is None and not (p.models_dir / "v0001").exists()


def test_backups_are_pruned(project: Project) -> None:
    for _ in range(7):
        project.backup("manual")
        time.sleep(0.002)
    assert len([b for b in project.list_backups() if "manual" in b.name]) == 5
