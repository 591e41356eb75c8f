"""Fixtures for engine tests (no Qt here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.api import Project

REPO = Path(__file__).resolve().parents[2]
CONLL_DIR = REPO.parent / "shared" / "data" / "conll2003"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    p = Project.create(tmp_path / "p", ["PER", "ORG", "LOC", "MISC"])
    try:
        yield p
    finally:
        p.close()


def add_document(
    project: Project,
    text: str,
    segments: list[tuple[int, int]] | None = None,
    spans: list[tuple[int, int, str]] = (),
    labelled: bool | None = None,
) -> int:
    """Insert one document directly through the store (no file format involved)."""
    from engine.store.corpus import insert_documents
    from engine.types import DocumentData, SpanData

    doc = DocumentData(
        text=text,
        segments=segments,
        spans=[SpanData(s, e, lab) for s, e, lab in spans],
        labelled=labelled,
    )
    with project.db.write() as conn:
        insert_documents(
            conn, [doc], source="test", mode="sentences", as_suggestions=False, eval_share=0.0
        )
        return int(conn.execute("SELECT max(id) FROM documents").fetchone()[0])
