"""Streamed scoring jobs: the same queue and suggestions as predicting the pool at once (the frozen
reference in ``al_reference``), a bounded number of predictions alive, nothing half-stored."""

from __future__ import annotations

import gc
import importlib
import shutil
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.active_learning import cold_start, rescore
from engine.active_learning.diversity import TopCandidates, diverse_order
from engine.active_learning.rescore import EXPORT_FOLDER
from engine.api import Project
from engine.errors import Cancelled
from engine.progress import CancelToken, ProgressEvent
from engine.store.corpus import insert_documents
from engine.types import DocumentData
from tests.engine import al_reference
from tests.engine.test_active_learning_queue import fake_embedder, topic_corpus
from tests.engine.test_active_learning_rescore import tiny_export  # noqa: F401
from tests.engine.tiny_model import WORDS

PAGE = 16
rescore_module = importlib.import_module("engine.active_learning.rescore")
cold_module = importlib.import_module("engine.active_learning.cold_start")


@pytest.fixture
def big_pool(
    project: Project,
    tiny_export: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Project]:
    """240 segments of 2..14 words (many pages of ``PAGE``), every 7th in the eval split, some
    documents pre-tokenised; a registered tiny model version."""
    shutil.copytree(tiny_export, project.models_dir / "v0001")
    project.versions.register("v0001", base_model="tiny", metrics={}, counts={}, config={})
    rng = np.random.default_rng(7)
    docs = []
    for d in range(40):
        sents = [
            " ".join(rng.choice(WORDS, size=int(rng.integers(2, 15)))) + " ." for _ in range(6)
        ]
        segs, pos = [], 0
        for s in sents:
            segs.append((pos, pos + len(s)))
            pos += len(s) + 1
        docs.append(
            DocumentData(text=" ".join(sents), segments=segs, labelled=False, tokenized=d % 3 == 0)
        )
    with project.db.write() as conn:
        insert_documents(
            conn, docs, source="t", mode="sentences", as_suggestions=False, eval_share=0.0
        )
        conn.execute("UPDATE segments SET split = 'eval' WHERE id % 7 = 0")
        conn.execute("UPDATE segments SET status = 'labelled' WHERE id % 11 = 0")
    project.set_setting("eval_share", 0.15)
    monkeypatch.setattr(rescore_module, "CHUNK", PAGE)
    yield project


def stored_queue(project: Project, version: str, strategy: str) -> list[int]:
    return [
        r[0]
        for r in project.db.connection().execute(
            "SELECT segment_id FROM al_scores WHERE model_version = ? AND strategy = ?"
            " ORDER BY score DESC",
            (version, strategy),
        )
    ]


def stored_suggestions(project: Project) -> list[tuple[Any, ...]]:
    return (
        project.db.connection()
        .execute(
            'SELECT segment_id, start, "end", label, score, model_version FROM suggestions'
            " WHERE source = 'model' ORDER BY id"
        )
        .fetchall()
    )


def reference(
    project: Project, strategy: str, max_pool: int | None
) -> tuple[list[int], list[tuple[Any, ...]], np.ndarray]:
    with project.db.read() as conn:
        return al_reference.rescore_queue(
            conn,
            project.models_dir / "v0001" / EXPORT_FOLDER,
            "v0001",
            strategy,
            int(project.setting("seed")),
            0.15,
            max_pool=max_pool,
            chunk=PAGE,
        )


@pytest.mark.parametrize(
    "strategy", ["mnlp", "least_confidence", "margin", "entropy_max", "random"]
)
@pytest.mark.parametrize("max_pool", [None, 90])
def test_streamed_rescore_is_the_queue_of_the_whole_pool(
    big_pool: Project, strategy: str, max_pool: int | None
) -> None:
    queue, rows, scores = reference(big_pool, strategy, max_pool)
    result = rescore(big_pool, strategy=strategy, max_pool=max_pool)
    assert result.sampled == (max_pool is not None)
    assert stored_queue(big_pool, "v0001", strategy) == queue
    assert stored_suggestions(big_pool) == rows and result.suggestions == len(rows)
    assert result.mean_score == pytest.approx(float(scores.mean()))
    assert len(queue) == big_pool.count_segments(status="todo")


def test_streamed_bald_matches_the_whole_pool(big_pool: Project) -> None:
    queue, rows, scores = reference(big_pool, "bald", None)
    result = rescore(big_pool, strategy="bald", max_pool=None)
    # the head's matrix products run per page: equal up to float rounding
    assert result.mean_score == pytest.approx(float(scores.mean()), rel=1e-6)
    got = stored_queue(big_pool, "v0001", "bald")
    assert sorted(got) == sorted(queue)
    assert np.mean(np.asarray(got) == np.asarray(queue)) > 0.9
    assert stored_suggestions(big_pool) == rows


def test_rescore_keeps_a_bounded_number_of_predictions(
    big_pool: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rescore_module.predict_pool
    alive: list[weakref.ref] = []
    most = [0]

    def tracking(predictor, segments, **kwargs):  # type: ignore[no-untyped-def]
        gc.collect()
        most[0] = max(most[0], sum(r() is not None for r in alive))
        assert len(segments) <= PAGE
        out = real(predictor, segments, **kwargs)
        alive.extend(weakref.ref(p) for p in out)
        return out

    monkeypatch.setattr(rescore_module, "predict_pool", tracking)
    result = rescore(big_pool, max_pool=None)
    assert result.scored + result.eval_segments > 10 * PAGE
    assert most[0] <= PAGE  # at most the previous page is still referenced


def test_cancel_mid_stream_leaves_the_previous_queue(big_pool: Project) -> None:
    rescore(big_pool, strategy="margin", max_pool=None)
    before = stored_queue(big_pool, "v0001", "margin")
    sugg = stored_suggestions(big_pool)
    token = CancelToken()

    def cancel_after_pages(event: ProgressEvent) -> None:
        if event.stage == "score" and (event.done or 0) >= 5 * PAGE:
            token.cancel()

    with pytest.raises(Cancelled):
        rescore(
            big_pool, strategy="margin", on_event=cancel_after_pages, cancel=token, max_pool=None
        )
    assert stored_queue(big_pool, "v0001", "margin") == before
    assert stored_suggestions(big_pool) == sugg
    temp = (
        big_pool.db.connection()
        .execute("SELECT name FROM sqlite_temp_master WHERE name LIKE 'scoring_%'")
        .fetchall()
    )
    assert temp == []


def test_streamed_cold_start_is_the_reference_order(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic_corpus(project, eval_every=6)
    seen: list[int] = []

    def embedder(texts: list[str]) -> np.ndarray:
        seen.append(len(texts))
        return fake_embedder(texts)

    monkeypatch.setattr(cold_module, "EMBED_CHUNK", 20)
    with project.db.read() as conn:
        expected = al_reference.cold_start_queue(
            conn,
            fake_embedder,
            float(project.setting("eval_share")),
            int(project.setting("seed")),
            size=12,
            sample_limit=150,
            chunk=20,
        )
    result = cold_start(project, embedder=embedder, size=12, sample_limit=150)
    assert result.sampled and result.scored == 150 and sum(seen) == 150
    assert max(seen) <= 20  # only the sample is read and embedded, a chunk at a time
    assert stored_queue(project, "cold-start", "cold-start") == expected


def test_top_candidates_equal_diverse_order_on_all_embeddings() -> None:
    rng = np.random.default_rng(3)
    for trial in range(30):
        n = int(rng.integers(1, 400))
        scores = np.round(rng.random(n), 2)  # ties
        emb = rng.standard_normal((n, 8)).astype(np.float32)
        k, size = int(rng.integers(0, 20)), int(rng.integers(20, 60))
        top = TopCandidates(max(k, size))
        perm = rng.permutation(n)
        for lo in range(0, n, 17):
            rows = perm[lo : lo + 17]
            top.add(rows, scores[rows], emb[rows])
        assert np.array_equal(top.order(scores, k), diverse_order(scores, emb, k, size)), trial


def test_mix_eval_is_the_reference() -> None:
    from engine.active_learning.queue import mix_eval

    rng = np.random.default_rng(1)
    for trial in range(500):
        train = [int(i) for i in rng.permutation(1000)[: int(rng.integers(0, 40))]]
        evals = list(range(2000, 2000 + int(rng.integers(0, 40))))
        share = float(rng.choice([0.0, 0.05, 0.15, 0.5, 1.0, 1.5, float(rng.random())]))
        assert mix_eval(train, evals, share, np.random.default_rng(trial)) == al_reference.mix_eval(
            train, evals, share, np.random.default_rng(trial)
        ), trial


_KILLED_CHILD = r"""
import importlib, os, signal, sys
from engine.api import Project
module = importlib.import_module("engine.active_learning.rescore")
module.CHUNK = int(sys.argv[2])
real, calls = module.predict_pool, []


def predict_then_die(*args, **kwargs):
    calls.append(1)
    if len(calls) == 4:  # three pages staged: the job is killed mid-stream
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)


module.predict_pool = predict_then_die
module.rescore(Project.open(sys.argv[1]), strategy="margin", max_pool=None)
"""


def test_killed_rescore_leaves_the_previous_queue(big_pool: Project) -> None:
    import os
    import subprocess
    import sys

    from engine.store.database import integrity_problem

    rescore(big_pool, strategy="margin", max_pool=None)
    before = stored_queue(big_pool, "v0001", "margin")
    sugg = stored_suggestions(big_pool)
    path = big_pool.path
    big_pool.close()
    repo = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_CHILD, str(path), str(PAGE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr
    again = Project.open(path)
    try:
        assert integrity_problem(path / "project.sqlite") is None
        assert stored_queue(again, "v0001", "margin") == before
        assert stored_suggestions(again) == sugg
    finally:
        again.close()


@pytest.mark.parametrize("strategy", ["mnlp", "bald"])
def test_simulation_selects_the_batch_of_the_whole_pool(
    tmp_path: Path,
    tiny_export: Path,  # noqa: F811
    strategy: str,
) -> None:
    from engine.active_learning.queue import order_rng
    from engine.active_learning.simulate import _Model, _Run
    from engine.types import LabelledExample

    rng = np.random.default_rng(5)
    pool = [
        LabelledExample(
            i, " ".join(rng.choice(WORDS, size=int(rng.integers(2, 15)))), (), i % 4 == 0
        )
        for i in range(600)
    ]
    run = _Run(pool, [], ["PER", "LOC", "ORG"], tmp_path, None, None, None, None, True)
    model = _Model(tmp_path, {}, export=tiny_export / EXPORT_FOLDER)
    labelled = set(range(0, 600, 9))
    remaining = [i for i in range(600) if i not in labelled]
    expected = al_reference.simulate_selection(
        [(ex.text, ex.tokenized) for ex in pool],
        remaining,
        tiny_export / EXPORT_FOLDER,
        strategy,
        order_rng(0, f"simulate/{strategy}/1"),
        40,
        True,
    )
    for _ in range(2):  # the second time from the cached predictions (BALD predicts again)
        got = run.select(strategy, model, labelled, 40, 0, 1)
        if strategy == "bald":  # page-wise head products: equal up to float rounding
            assert len(set(got) & set(expected)) >= 36
        else:
            assert got == expected


@pytest.mark.slow
def test_a_cached_encoder_loads_without_transformers(project: Project) -> None:
    import os
    import subprocess
    import sys

    topic_corpus(project)
    cold_start(project, size=6)  # exports the bundled encoder into the project's cache
    child = (
        "import sys\nfrom pathlib import Path\n"
        "from engine.active_learning.embedder import project_encoder\n"
        f"enc = project_encoder(Path({str(project.path)!r}), 'bundled')\n"
        "assert enc(['a short sentence']).shape[0] == 1\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", child],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"
