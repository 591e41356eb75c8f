"""The bundled demo project: the demo corpus and default labels, a few sentences pre-labelled.

It lives in the user's data folder and is created on first use, so ``spantune app --demo`` works
on a fresh install without any file of the person's own.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

import platformdirs

from engine.api import DB_NAME, Project

log = logging.getLogger(__name__)


def resource_path(name: str) -> Path:
    """Path of a file shipped in the ``resources`` package."""
    return Path(str(resources.files("resources").joinpath(name)))


def default_labels() -> list[dict[str, str]]:
    return list(json.loads(resource_path("labels.json").read_text(encoding="utf-8")))


def demo_project_path() -> Path:
    return Path(platformdirs.user_data_dir("Spantune", appauthor=False)) / "demo.spantune"


def open_demo_project(folder: str | Path | None = None) -> Project:
    """Open the demo project, creating it from the bundled resources when it does not exist."""
    path = Path(folder) if folder is not None else demo_project_path()
    if not (path / DB_NAME).is_file():
        create_demo_project(path)
    return Project.open(path)


def create_demo_project(path: Path) -> None:
    labels = default_labels()
    with Project.create(path, [lab["name"] for lab in labels]) as project:
        for lab in labels:
            project.labels.set_color(lab["name"], lab["color"])
            project.labels.set_hotkey(lab["name"], lab.get("hotkey"))
        project.import_files([resource_path("demo/corpus.txt")], "text")
        _apply_seed_labels(project, resource_path("demo/seed.jsonl"))
    log.info("created the demo project at %s", path)


def _apply_seed_labels(project: Project, seed_file: Path) -> None:
    """Label the demo sentences listed in ``seed_file`` (same text as in the corpus)."""
    by_text: dict[str, int] = {}
    total = project.count_segments()
    for seg in project.segments(limit=total):
        by_text.setdefault(seg.text, seg.id)
    for line in seed_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        seg_id = by_text.get(record["text"])
        if seg_id is None:
            log.warning("demo seed sentence not found in the corpus: %.40s", record["text"])
            continue
        seg = project.segment(seg_id)
        for span in record.get("spans", []):
            project.annotations.add_span(
                seg_id,
                seg.start + span["start"],
                seg.start + span["end"],
                span["label"],
                source="imported",
            )
        project.annotations.set_status(seg_id, "labelled")
