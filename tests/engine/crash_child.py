"""Child process for the crash-safety harness: real work through the engine, acknowledged on
stdout after each committed step, until the parent kills it with SIGKILL.

Usage: python -m tests.engine.crash_child SCENARIO PROJECT [ARG]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from engine.api import Project


def ack(*parts: object) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def span_edits(project_dir: str) -> None:
    """Add and remove spans as fast as possible; ACK each after the engine returned."""
    rng = random.Random()
    with Project.open(project_dir) as project:
        segs = project.segments(limit=1000)
        ack("ready")
        while True:
            seg = rng.choice(segs)
            spans = project.annotations.spans(seg.id)
            if spans and rng.random() < 0.4:
                gone = project.annotations.remove_span(spans[0].id)
                ack("del", gone.id)
                continue
            taken = {(s.start, s.end) for s in spans}
            start = seg.start + rng.randrange(0, max(1, len(seg.text) // 2))
            end = start + 1
            if any(a < end and b > start for a, b in taken):
                continue
            span = project.annotations.add_span(seg.id, start, end, "PER")
            ack("add", span.id, span.segment_id, span.start, span.end)
            if rng.random() < 0.1:
                project.annotations.set_status(seg.id, "labelled")
                ack("status", seg.id)


def big_import(project_dir: str, file: str) -> None:
    with Project.open(project_dir) as project:
        ack("ready")
        report = project.import_files([Path(file)], "text-lines")
        ack("imported", report.documents)


def migration(project_dir: str) -> None:
    """Open a version-1 project: the real migration to the current schema runs."""
    ack("ready")
    with Project.open(project_dir):
        ack("migrated")


def training(project_dir: str, base_model: str) -> None:
    from engine.training import TrainConfig, train

    with Project.open(project_dir) as project:
        ack("ready")
        result = train(project, TrainConfig(base_model=base_model, epochs=1, seed=0))
        ack("trained", result.version)


def export(project_dir: str, out: str) -> None:
    from engine.export.exporter import export_model

    with Project.open(project_dir) as project:
        version = project.versions.active()
        assert version is not None
        ack("ready")
        export_model(Path(version.path), Path(out), quantize=True, overwrite=True)
        ack("exported")


def backups_loop(project_dir: str) -> None:
    """Online backups, one after another, from a read-only open (as beside the app)."""
    with Project.open(project_dir, read_only=True) as project:
        ack("ready")
        while True:
            path = project.backup("manual")
            ack("backup", path)


def restore(project_dir: str, backup: str) -> None:
    ack("ready")
    before = Project.restore(project_dir, backup)
    ack("restored", before)


def rescore(project_dir: str) -> None:
    """Rescore: exports the version's ONNX folder (models/vNNNN/onnx-export) first."""
    with Project.open(project_dir) as project:
        ack("ready")
        project.rescore()
        ack("rescored")


SCENARIOS = {
    "spans": span_edits,
    "import": big_import,
    "migration": migration,
    "training": training,
    "export": export,
    "backup": backups_loop,
    "restore": restore,
    "rescore": rescore,
}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
