"""The rescoring job on a project with a tiny registered model version (exported on demand)."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.active_learning import COLD_START, next_segments, queue_page, rescore
from engine.active_learning.queue import queue_key
from engine.active_learning.rescore import EXPORT_FOLDER, export_folder, load_head
from engine.api import Project
from engine.errors import Cancelled
from engine.progress import CancelToken, ProgressEvent
from engine.store.corpus import insert_documents
from engine.types import DocumentData
from tests.engine.tiny_model import build_tiny_model

SENTENCES = [
    "john smith visited paris",
    "mary jones works at google",
    "the bank of london said",
    "angela merkel met the president",
    "apple company in new york",
    "the river in berlin",
    "the club visited tokyo today",
    "a minister of france said",
    "john lives in china",
    "the university of paris",
    "google bank said yesterday",
    "mary visited the cafe",
]


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model version folder with its ONNX export, built once for the module."""
    meta = {
        "labels": ["PER", "LOC", "ORG"],
        "max_length": 32,
        "stride": 8,
        "base_model": "tiny",
        "counts": {},
        "metrics": {},
        "decoding": "first-subtoken-bio",
    }
    folder = build_tiny_model(tmp_path_factory.mktemp("tiny") / "v0001", spantune=meta)
    from engine.export.exporter import export_model

    export_model(folder, folder / EXPORT_FOLDER)
    return folder


@pytest.fixture
def scored_project(project: Project, tiny_export: Path) -> Iterator[Project]:
    shutil.copytree(tiny_export, project.models_dir / "v0001")
    project.versions.register("v0001", base_model="tiny", metrics={}, counts={}, config={})
    docs = [DocumentData(text=f"{s} {i}", labelled=False) for i in range(4) for s in SENTENCES]
    with project.db.write() as conn:
        insert_documents(
            conn, docs, source="t", mode="document", as_suggestions=False, eval_share=0.0
        )
        conn.execute("UPDATE segments SET split = 'eval' WHERE id % 6 = 0")
    project.set_setting("eval_share", 0.15)
    yield project


def test_rescore_stores_order_and_suggestions(scored_project: Project) -> None:
    p = scored_project
    events: list[ProgressEvent] = []
    result = rescore(p, on_event=events.append)
    assert result.version == "v0001" and result.strategy == "mnlp"
    n_eval = p.count_segments(split="eval")
    assert result.scored == 48 - n_eval and result.eval_segments == n_eval
    assert not result.sampled and result.suggestions > 0
    assert queue_key(p) == ("v0001", "mnlp")
    assert {e.stage for e in events} >= {"score", "store"}
    conn = p.db.connection()
    assert (
        conn.execute("SELECT count(*) FROM al_scores WHERE model_version = 'v0001'").fetchone()[0]
        == 48
    )
    # suggestions lie inside their segments, on eval segments too
    rows = conn.execute(
        'SELECT g.start, g."end", s.start, s."end", g.split FROM suggestions s'
        " JOIN segments g ON g.id = s.segment_id"
    ).fetchall()
    assert all(gs <= s < e <= ge for gs, ge, s, e, _ in rows)
    assert {r[4] for r in rows} == {"train", "eval"}
    items = next_segments(p, 20)
    assert len({it.segment_id for it in items}) == 20
    assert 2 <= sum(it.is_eval for it in items) <= 4


def test_rescore_cancel_leaves_previous_scores(scored_project: Project) -> None:
    p = scored_project
    rescore(p, strategy="least_confidence")
    before = [it.segment_id for it in queue_page(p, 0, 100, strategy="least_confidence")]
    sugg = p.db.connection().execute("SELECT count(*) FROM suggestions").fetchone()[0]
    token = CancelToken()

    def cancel_on_score(event: ProgressEvent) -> None:
        if event.stage == "score":
            token.cancel()

    with pytest.raises(Cancelled):
        rescore(p, strategy="least_confidence", on_event=cancel_on_score, cancel=token)
    after = [it.segment_id for it in queue_page(p, 0, 100, strategy="least_confidence")]
    assert after == before
    assert p.db.connection().execute("SELECT count(*) FROM suggestions").fetchone()[0] == sugg


def test_rescore_subsamples_huge_pools(scored_project: Project) -> None:
    result = rescore(scored_project, strategy="margin", max_pool=10)
    assert result.sampled and result.scored == 10 and "sample" in result.message
    assert len(queue_page(scored_project, 0, 100, status="todo")) == 48


def test_rescore_bald_and_random(scored_project: Project) -> None:
    head = load_head(export_folder(scored_project.versions.active()))
    assert head.weight.shape == (7, 32) and head.dropout == pytest.approx(0.1)
    bald = rescore(scored_project, strategy="bald")
    assert bald.mean_score is not None and bald.mean_score > 0
    assert rescore(scored_project, strategy="random").scored == bald.scored


def test_rescore_keeps_imported_suggestions(scored_project: Project) -> None:
    p = scored_project
    conn = p.db.connection()
    seg = conn.execute("SELECT id, start FROM segments WHERE split = 'train' LIMIT 1").fetchone()
    with p.db.write() as w:
        w.execute(
            'INSERT INTO suggestions (segment_id, start, "end", label, score,'
            " model_version) VALUES (?, ?, ?, 'PER', NULL, NULL)",
            (seg[0], seg[1], seg[1] + 4),
        )
    rescore(p)
    rows = conn.execute(
        "SELECT model_version FROM suggestions WHERE segment_id = ?", (seg[0],)
    ).fetchall()
    assert rows == [(None,)]


def test_rescore_without_model_runs_cold_start(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [DocumentData(text=s, labelled=False) for s in SENTENCES]
    with project.db.write() as conn:
        insert_documents(
            conn, docs, source="t", mode="document", as_suggestions=False, eval_share=0.0
        )
    module = importlib.import_module("engine.active_learning.cold_start")
    monkeypatch.setattr(module, "project_encoder", lambda *a: lambda texts: np.eye(len(texts), 16))
    result = rescore(project)
    assert result.version == COLD_START and queue_key(project) == (COLD_START, COLD_START)


def test_rescore_spares_segments_touched_meanwhile(
    scored_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = scored_project
    conn = p.db.connection()
    seg_id = conn.execute("SELECT id FROM segments WHERE split = 'train' LIMIT 1").fetchone()[0]
    module = importlib.import_module("engine.active_learning.rescore")
    real = module.predict_pool

    def predict_then_label(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        p.annotations.set_status(seg_id, "labelled")  # the person labels during the job
        return out

    monkeypatch.setattr(module, "predict_pool", predict_then_label)
    rescore(p)
    assert (
        conn.execute("SELECT count(*) FROM suggestions WHERE segment_id = ?", (seg_id,)).fetchone()[
            0
        ]
        == 0
    )
    assert seg_id not in {it.segment_id for it in queue_page(p, 0, 100, status="todo")}


def test_rescore_empty_pool(scored_project: Project) -> None:
    with scored_project.db.write() as conn:
        conn.execute("UPDATE segments SET status = 'labelled'")
    result = rescore(scored_project)
    assert result.scored == 0 and result.suggestions == 0
    assert next_segments(scored_project, 5) == []
