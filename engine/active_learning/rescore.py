"""The rescoring job: predict the unlabelled pool with a model version, store the queue order
and the model's suggestions — streamed, in memory that does not grow with the pool.

The pool is scanned once as numbers (:func:`~engine.active_learning.pool.scan_pool`); the
predicted segments (every todo segment, or a seeded subsample above ``max_pool`` train segments)
are read and predicted by the int8 ONNX predictor of the version's export folder in
length-sorted pages (the chunks the predictor always ran, so every score is what predicting the
pool at once gives); the strategy scores each page's train segments, the best
``DIVERSITY_CANDIDATES`` keep their embeddings for the one diversity re-ranking of the top, and
each page's suggestions are staged in TEMP tables (:mod:`engine.store.scoring`). Eval segments
are mixed in at the ``eval_share`` rate (:mod:`engine.active_learning.queue`) and the order and
suggestions are swapped in with one transaction at the end, so a cancelled, failed or killed job
leaves the previous order and suggestions exactly as they were.

The pieces — :func:`plan_rescore` (what to predict), :meth:`RescoreJob.read_pages`,
:func:`score_page` (one page → scores and suggestion rows), :meth:`RescoreJob.add` (stage it),
:meth:`RescoreJob.commit` — serve other runners of the same job.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.active_learning.diversity import TopCandidates, candidate_count
from engine.active_learning.pool import (
    DEFAULT_MAX_POOL,
    PoolPlan,
    PoolSegment,
    RescoreResult,
    pages,
    plan_pool,
    read_page,
    scan_pool,
)
from engine.active_learning.queue import COLD_START, mix_eval, order_rng
from engine.active_learning.strategies import (
    Head,
    ModelOutputs,
    PageScorer,
    Strategy,
    get_strategy,
)
from engine.errors import ModelLoadError, ValidationError
from engine.progress import CancelToken, EventCallback, ProgressEvent, Throttle, check
from engine.store.scoring import (
    SuggestionRow,
    begin_staging,
    commit_scoring,
    drop_staging,
    stage_page,
)
from engine.store.util import now
from engine.text.snap import snap_to_words
from engine.types import ModelVersion

if TYPE_CHECKING:
    from engine.api import Project
    from engine.inference.predictor import Predictor

log = logging.getLogger(__name__)

EXPORT_FOLDER = "onnx-export"
CHUNK = 256
DIVERSITY_K = 50
DIVERSITY_CANDIDATES = 250


def export_folder(
    version: ModelVersion,
    *,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
    project: Any = None,
) -> Path:
    """The version's ONNX export folder, exported (``models/vNNNN/onnx-export``) if missing."""
    from engine.inference.predictor import find_model_file

    root = Path(version.path)
    for folder in (root / EXPORT_FOLDER, root):
        if find_model_file(folder, quantized=True) is not None:
            return folder
    from engine.export.exporter import export_model

    log.info("exporting %s to ONNX for scoring", version.name)
    return export_model(
        root,
        root / EXPORT_FOLDER,
        quantize=True,
        sample_texts=project.export_samples() if project is not None else [],
        on_event=on_event,
        cancel=cancel,
    ).path


def load_head(folder: Path) -> Head:
    """The classifier of an export folder (``head.npz``) with the model's dropout rate."""
    path = folder / "head.npz"
    if not path.is_file():
        raise ModelLoadError(f"{folder} has no head.npz; BALD needs the classifier weights")
    with np.load(path) as data:
        weight, bias = data["weight"], data["bias"]
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    p = config.get("classifier_dropout")
    if p is None:
        p = config.get("hidden_dropout_prob", 0.1)
    return Head(weight, bias, float(p))


def predict_pool(
    predictor: Predictor,
    segments: Sequence[PoolSegment],
    *,
    hidden: bool,
    chunk: int = CHUNK,
    cancel: CancelToken | None = None,
    progress: Any = None,
) -> list[Any]:
    """Predictions (``TextPrediction``) for ``segments``, in order, length-sorted in chunks."""
    order = np.argsort([len(s.text) for s in segments], kind="stable")
    out: list[Any] = [None] * len(segments)
    for lo in range(0, len(order), chunk):
        check(cancel)
        idx = order[lo : lo + chunk]
        part = [segments[i] for i in idx]
        preds = predictor.predict_arrays(
            [s.text for s in part], hidden=hidden, words=[s.words() for s in part]
        )
        for i, pred in zip(idx, preds, strict=True):
            out[int(i)] = pred
        if progress is not None:
            progress(lo + len(idx), len(order))
    return out


def _suggestion_rows(
    segments: Sequence[PoolSegment], preds: Sequence[Any], version: str
) -> list[SuggestionRow]:
    return [
        (s.id, s.start + a, s.start + b, label, float(score), version)  # whole words
        for s, p in zip(segments, preds, strict=True)
        for a, b, label, score in snap_to_words(
            s.text, [(e.start, e.end, e.label, e.score) for e in p.entities]
        )
    ]


@dataclass(frozen=True)
class ScoredPage:
    """One page's results: ``train_rows`` (places among the job's train segments) with their
    strategy ``scores`` and, for diversity, ``embeddings``; ``rows`` the suggestion rows, each
    with the segment's place in the job's order."""

    train_rows: np.ndarray
    scores: np.ndarray
    embeddings: np.ndarray | None
    rows: list[tuple[int, SuggestionRow]]


def score_page(
    segments: Sequence[PoolSegment],
    positions: np.ndarray,
    preds: Sequence[Any],
    n_train: int,
    scorer: PageScorer,
    *,
    head: Head | None,
    needs_hidden: bool,
    embed: bool,
    version: str,
) -> ScoredPage:
    """Score one predicted page: ``positions`` are the segments' places in the job's order
    (train segments first, ``n_train`` of them)."""
    train_rows, scores, emb = page_scores(
        positions, preds, n_train, scorer, head=head, needs_hidden=needs_hidden, embed=embed
    )
    rows = [
        (int(pos), row)
        for pos, seg, pred in zip(positions, segments, preds, strict=True)
        for row in _suggestion_rows([seg], [pred], version)
    ]
    return ScoredPage(train_rows, scores, emb, rows)


def page_scores(
    positions: np.ndarray,
    preds: Sequence[Any],
    n_train: int,
    scorer: PageScorer,
    *,
    head: Head | None,
    needs_hidden: bool,
    embed: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(train_rows, scores, embeddings)`` of a page's train segments (``positions`` below
    ``n_train``); embeddings (mean hidden states) only with ``embed``."""
    positions = np.asarray(positions, dtype=np.int64)
    is_train = positions < n_train
    train = [p for p, t in zip(preds, is_train, strict=True) if t]
    scores = np.zeros(0)
    if train:
        outputs = ModelOutputs(
            [p.word_probs for p in train],
            [p.word_hidden for p in train] if needs_hidden else None,
            head,
        )
        scores = np.asarray(scorer(outputs, positions[is_train]), dtype=np.float64)
    emb = np.stack([p.mean_hidden for p in train]) if embed and train else None
    return positions[is_train], scores, emb


@dataclass
class RescoreJob:
    """One rescore between planning and commit: what to predict, and what was scored so far."""

    version: str
    strategy: Strategy
    head: Head | None
    plan: PoolPlan
    rng: np.random.Generator
    read_at: str
    hidden: bool
    diversity_k: int
    scores: np.ndarray = field(init=False)
    top: TopCandidates = field(init=False)
    scorer: PageScorer = field(init=False)
    suggestions: int = 0

    def __post_init__(self) -> None:
        n = len(self.plan.train)
        self.scores = np.zeros(n, dtype=np.float64)
        self.top = TopCandidates(candidate_count(self.diversity_k, DIVERSITY_CANDIDATES))
        self.scorer = self.strategy.page_scorer(n, self.rng, self.head)

    @property
    def embed(self) -> bool:
        """Whether pages keep embeddings (diversity over the model's mean hidden states)."""
        return self.hidden and self.diversity_k > 1 and self.strategy.name != "random"

    @property
    def total(self) -> int:
        return len(self.plan.train) + len(self.plan.evals)

    def read_pages(
        self, conn: sqlite3.Connection, page: int | None = None
    ) -> Iterator[tuple[np.ndarray, list[PoolSegment]]]:
        """``(positions, segments)`` page by page, in the predictor's length-sorted chunks
        (``page`` segments each, :data:`CHUNK` by default)."""
        predicted = self.plan.predicted
        ids = self.plan.index.ids[predicted]
        tokenized: dict[int, bool] = {}
        for positions in pages(self.plan.index.lengths[predicted], page or CHUNK):
            yield positions, read_page(conn, ids[positions], tokenized)

    def score(
        self, segments: Sequence[PoolSegment], positions: np.ndarray, preds: Sequence[Any]
    ) -> ScoredPage:
        """Score one predicted page with this job's strategy."""
        return score_page(
            segments,
            positions,
            preds,
            len(self.plan.train),
            self.scorer,
            head=self.head,
            needs_hidden=self.strategy.needs_hidden,
            embed=self.embed,
            version=self.version,
        )

    def add(
        self, conn: sqlite3.Connection, segments: Sequence[PoolSegment], page: ScoredPage
    ) -> None:
        """Keep a scored page's scores and best embeddings; stage its suggestions."""
        self.scores[page.train_rows] = page.scores
        if page.embeddings is not None:
            self.top.add(page.train_rows, page.scores, page.embeddings)
        stage_page(conn, [s.id for s in segments], page.rows)
        self.suggestions += len(page.rows)

    def queue(self, eval_share: float) -> list[int]:
        """The queue: train segments by score (top re-ranked for diversity), the rest of the
        train pool in seeded random order, eval segments mixed in."""
        index = self.plan.index
        order = self.top.order(self.scores, self.diversity_k)
        scored = np.zeros(len(index.ids), dtype=bool)
        scored[self.plan.train] = True
        rest = self.rng.permutation(index.ids[index.train & ~scored])
        train_order = index.ids[self.plan.train[order]]
        return mix_eval(np.concatenate([train_order, rest]), index.eval_ids, eval_share, self.rng)

    def commit(self, project: Project, queue: Sequence[int]) -> None:
        """Swap the queue and the staged suggestions in, in one transaction."""
        with project.db.write() as conn:
            commit_scoring(conn, self.version, self.strategy.name, queue, self.read_at, COLD_START)


def plan_rescore(
    project: Project,
    version: str,
    strategy: Strategy,
    head: Head | None,
    has_hidden: bool,
    max_pool: int | None = DEFAULT_MAX_POOL,
    diversity_k: int = DIVERSITY_K,
) -> RescoreJob:
    """Scan the pool and decide what a rescore with ``version`` and ``strategy`` predicts."""
    read_at = now()
    with project.db.read() as conn:
        index = scan_pool(conn)
    rng = order_rng(int(project.setting("seed")), f"{version}/{strategy.name}")
    plan = plan_pool(index, max_pool, rng)
    hidden = has_hidden and (strategy.needs_hidden or diversity_k > 1)
    return RescoreJob(version, strategy, head, plan, rng, read_at, hidden, diversity_k)


def rescore(
    project: Project,
    version: str | None = None,
    strategy: str | None = None,
    *,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
    max_pool: int | None = DEFAULT_MAX_POOL,
    diversity_k: int = DIVERSITY_K,
    predict: Callable[..., Iterator[tuple[Any, Sequence[PoolSegment], list[Any]]]] | None = None,
) -> RescoreResult:
    """Score the todo pool with ``version`` (default: active) and ``strategy`` (default: the
    project's) and store the queue order and the model's suggestions.

    Without any model version this runs the cold start instead. Exports the version to ONNX
    first when it has no export. Pools above ``max_pool`` train segments are subsampled (the
    result says so). Reports ProgressEvent stages "export", "score" (segments done of total) and
    "store". Raises Cancelled (nothing changed), ModelLoadError, ValidationError (unknown
    strategy or version). ``predict(folder, pages, hidden=, cancel=)`` replaces the in-process
    :func:`predict_pool`: it takes the ``(positions, segments)`` pages and yields
    ``(positions, segments, predictions)`` in the same order (Ray:
    :mod:`engine.active_learning.ray_rescore`).
    """
    started = time.monotonic()
    chosen = project.versions.get(version) if version else project.versions.active()
    if chosen is None:
        if version is not None:
            raise ValidationError(f"no model version {version!r}", field="version")
        from engine.active_learning.cold_start import cold_start

        return cold_start(project, on_event=on_event, cancel=cancel)
    strat = get_strategy(strategy or str(project.setting("strategy")))
    folder = export_folder(chosen, on_event=on_event, cancel=cancel, project=project)
    check(cancel)
    from engine.inference.predictor import Predictor

    predictor = Predictor(folder, quantized=True)
    head = load_head(folder) if strat.needs_hidden else None
    job = plan_rescore(
        project, chosen.name, strat, head, predictor.has_hidden, max_pool, diversity_k
    )
    throttle = Throttle(on_event)
    conn = project.db.connection()
    begin_staging(conn)
    predicted: Iterator[tuple[Any, Sequence[PoolSegment], list[Any]]] | None = None
    try:
        done = 0
        pages = job.read_pages(conn)
        if predict is None:
            predicted = (
                (
                    positions,
                    segments,
                    predict_pool(predictor, segments, hidden=job.hidden, chunk=len(segments)),
                )
                for positions, segments in pages
            )
        else:  # e.g. Ray actors (engine.active_learning.ray_rescore), pages in flight
            predicted = predict(folder, pages, hidden=job.hidden, cancel=cancel)
        for positions, segments, preds in predicted:
            check(cancel)
            job.add(conn, segments, job.score(segments, positions, preds))
            done += len(segments)
            throttle(
                ProgressEvent("score", done, job.total, f"scored {done} of {job.total}"),
                force=done == job.total,
            )
        check(cancel)
        queue = job.queue(float(project.setting("eval_share")))
        throttle(ProgressEvent("store", 0, 1, "storing the queue"), force=True)
        job.commit(project, queue)
    finally:
        if predicted is not None and hasattr(predicted, "close"):
            predicted.close()  # a cancelled or failed job stops its actors now, not at GC
        drop_staging(conn)
    n_train, pool = len(job.plan.train), int(job.plan.index.train.sum())
    result = RescoreResult(
        version=chosen.name,
        strategy=strat.name,
        scored=n_train,
        pool=pool,
        eval_segments=len(job.plan.index.ids) - pool,
        suggestions=job.suggestions,
        sampled=job.plan.sampled,
        seconds=round(time.monotonic() - started, 2),
        diversity_window=min(diversity_k, n_train) if diversity_k > 1 else 0,
        mean_score=float(job.scores.mean()) if n_train else None,
        message=_message(chosen.name, strat.name, n_train, pool, job.plan.sampled, job.suggestions),
    )
    throttle(ProgressEvent("store", 1, 1, result.message), force=True)
    return result


def _message(
    version: str, strategy: str, scored: int, pool: int, sampled: bool, suggestions: int
) -> str:
    if sampled:
        head = (
            f"scored a random sample of {scored} of {pool} unlabelled segments (the pool is "
            f"larger than the scoring limit); the rest follow in random order"
        )
    else:
        head = f"scored {scored} unlabelled segments"
    return f"{head} with {version} ({strategy}); {suggestions} suggestions"
