"""The rescoring job: predict the unlabelled pool with a model version, store the queue order
and the model's suggestions.

The int8 ONNX predictor of the version's export folder reads todo segments in length-sorted
chunks; the strategy scores the train-split ones, the top of the ranking is re-ranked for
diversity once (over the model's mean-pooled hidden states), eval segments are mixed in at the
``eval_share`` rate (:mod:`engine.active_learning.queue`), and everything is written in one
transaction at the end, so a cancelled or failed job leaves the previous order and suggestions
exactly as they were.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.active_learning.diversity import diverse_order
from engine.active_learning.pool import (
    DEFAULT_MAX_POOL,
    PoolSegment,
    RescoreResult,
    read_pool,
    sample_pool,
)
from engine.active_learning.queue import COLD_START, mix_eval, order_rng, store_order
from engine.active_learning.strategies import Head, ModelOutputs, Strategy, get_strategy
from engine.errors import ModelLoadError, ValidationError
from engine.progress import CancelToken, EventCallback, ProgressEvent, Throttle, check
from engine.store.util import now
from engine.types import ModelVersion

if TYPE_CHECKING:
    from engine.api import Project
    from engine.inference.predictor import Predictor

log = logging.getLogger(__name__)

EXPORT_FOLDER = "onnx-export"
CHUNK = 256
DIVERSITY_K = 50
DIVERSITY_CANDIDATES = 250


def export_folder(version: ModelVersion, *, on_event: EventCallback | None = None,
                  cancel: CancelToken | None = None, project: Any = None) -> Path:
    """The version's ONNX export folder, exported (``models/vNNNN/onnx-export``) if missing."""
    from engine.inference.predictor import find_model_file

    root = Path(version.path)
    for folder in (root / EXPORT_FOLDER, root):
        if find_model_file(folder, quantized=True) is not None:
            return folder
    from engine.export.exporter import export_model

    log.info("exporting %s to ONNX for scoring", version.name)
    sample, calibration = project.export_samples() if project is not None else ([], [])
    return export_model(root, root / EXPORT_FOLDER, quantize=True, sample_texts=sample,
                        calibration_texts=calibration, on_event=on_event, cancel=cancel).path


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


def predict_pool(predictor: Predictor, segments: Sequence[PoolSegment], *, hidden: bool,
                 chunk: int = CHUNK, cancel: CancelToken | None = None,
                 progress: Any = None) -> list[Any]:
    """Predictions (``TextPrediction``) for ``segments``, in order, length-sorted in chunks."""
    order = np.argsort([len(s.text) for s in segments], kind="stable")
    out: list[Any] = [None] * len(segments)
    for lo in range(0, len(order), chunk):
        check(cancel)
        idx = order[lo:lo + chunk]
        part = [segments[i] for i in idx]
        preds = predictor.predict_arrays([s.text for s in part], hidden=hidden,
                                         words=[s.words() for s in part])
        for i, pred in zip(idx, preds, strict=True):
            out[int(i)] = pred
        if progress is not None:
            progress(lo + len(idx), len(order))
    return out


def _suggestion_rows(segments: Sequence[PoolSegment], preds: Sequence[Any],
                     version: str) -> list[tuple[int, int, int, str, float, str | None]]:
    return [(s.id, s.start + e.start, s.start + e.end, e.label, float(e.score), version)
            for s, p in zip(segments, preds, strict=True) for e in p.entities]


def rank_train(strategy: Strategy, preds: Sequence[Any], head: Head | None,
               rng: np.random.Generator, k: int = DIVERSITY_K,
               candidates: int = DIVERSITY_CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
    """``(order, raw_scores)`` of predicted train segments: strategy scores, top re-ranked."""
    outputs = ModelOutputs([p.word_probs for p in preds],
                           [p.word_hidden for p in preds] if strategy.needs_hidden else None,
                           head)
    scores = strategy.score(outputs, rng) if preds else np.zeros(0)
    has_emb = bool(preds) and preds[0].mean_hidden is not None and strategy.name != "random"
    emb = np.stack([p.mean_hidden for p in preds]) if has_emb else None
    return diverse_order(scores, emb, k, candidates), scores


def rescore(project: Project, version: str | None = None, strategy: str | None = None, *,
            on_event: EventCallback | None = None, cancel: CancelToken | None = None,
            max_pool: int | None = DEFAULT_MAX_POOL, diversity_k: int = DIVERSITY_K,
            ) -> RescoreResult:
    """Score the todo pool with ``version`` (default: active) and ``strategy`` (default: the
    project's) and store the queue order and the model's suggestions.

    Without any model version this runs the cold start instead. Exports the version to ONNX
    first when it has no export. Pools above ``max_pool`` train segments are subsampled (the
    result says so). Reports ProgressEvent stages "export", "score" (segments done of total) and
    "store". Raises Cancelled (nothing changed), ModelLoadError, ValidationError (unknown
    strategy or version).
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
    read_at = now()
    with project.db.read() as conn:
        pool = read_pool(conn)
    rng = order_rng(int(project.setting("seed")), f"{chosen.name}/{strat.name}")
    train, evals, sampled = sample_pool(pool, max_pool, rng)
    throttle = Throttle(on_event)
    total = len(train) + len(evals)

    def progress(done: int, _: int) -> None:
        throttle(ProgressEvent("score", done, total, f"scored {done} of {total}"),
                 force=done == total)

    hidden = predictor.has_hidden and (strat.needs_hidden or diversity_k > 1)
    preds = predict_pool(predictor, [*train, *evals], hidden=hidden, cancel=cancel,
                         progress=progress)
    check(cancel)
    order, scores = rank_train(strat, preds[:len(train)], head, rng, diversity_k)
    train_order = [train[i].id for i in order]
    scored_ids = {s.id for s in train}
    rest = [p.id for p in pool if p.split == "train" and p.id not in scored_ids]
    rest = [int(i) for i in rng.permutation(np.asarray(rest, dtype=np.int64))]
    all_eval = [p.id for p in pool if p.split != "train"]
    queue = mix_eval(train_order + rest, all_eval, float(project.setting("eval_share")), rng)
    rows = _suggestion_rows([*train, *evals], preds, chosen.name)
    throttle(ProgressEvent("store", 0, 1, "storing the queue"), force=True)
    _store(project, chosen.name, strat.name, queue, [*train, *evals], rows, read_at)
    result = RescoreResult(
        version=chosen.name, strategy=strat.name, scored=len(train),
        pool=len(train) + len(rest), eval_segments=len(all_eval), suggestions=len(rows),
        sampled=sampled, seconds=round(time.monotonic() - started, 2),
        diversity_window=min(diversity_k, len(train)) if diversity_k > 1 else 0,
        mean_score=float(scores.mean()) if len(scores) else None,
        message=_message(chosen.name, strat.name, len(train), len(train) + len(rest),
                         sampled, len(rows)))
    throttle(ProgressEvent("store", 1, 1, result.message), force=True)
    return result


def _message(version: str, strategy: str, scored: int, pool: int, sampled: bool,
             suggestions: int) -> str:
    if sampled:
        head = (f"scored a random sample of {scored} of {pool} unlabelled segments (the pool is "
                f"larger than the scoring limit); the rest follow in random order")
    else:
        head = f"scored {scored} unlabelled segments"
    return f"{head} with {version} ({strategy}); {suggestions} suggestions"


def _store(project: Project, version: str, strategy: str, queue: list[int],
           predicted: Sequence[PoolSegment],
           rows: list[tuple[int, int, int, str, float, str | None]], read_at: str) -> None:
    """One transaction: the queue order, stale orders of other versions, the suggestions.

    Suggestions are left alone on segments the person touched while the job ran (labelled,
    skipped or edited since the pool was read) and on segments holding imported
    pre-annotations (model_version NULL), which are the person's data.
    """
    with project.db.write() as conn:
        store_order(conn, version, strategy, queue)
        conn.execute("DELETE FROM al_scores WHERE model_version NOT IN (?, ?)",
                     (version, COLD_START))
        untouched = {r[0] for r in conn.execute(
            "SELECT id FROM segments WHERE status = 'todo' AND updated_at <= ?", (read_at,))}
        imported = {r[0] for r in conn.execute(
            "SELECT DISTINCT segment_id FROM suggestions WHERE model_version IS NULL")}
        ids = [s.id for s in predicted if s.id in untouched and s.id not in imported]
        keep = set(ids)
        project.annotations.replace_suggestions(ids, [r for r in rows if r[0] in keep])
