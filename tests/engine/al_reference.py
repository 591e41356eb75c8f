"""The scoring jobs as they were before streaming (every todo segment in memory, the pool predicted
at once), kept frozen as the reference the streamed jobs must reproduce: same queue, same
suggestions, for the same model, strategy and seed."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from engine.active_learning.diversity import diverse_order, representatives
from engine.active_learning.pool import PoolSegment
from engine.active_learning.queue import COLD_START, order_rng
from engine.active_learning.rescore import load_head, predict_pool
from engine.active_learning.strategies import ModelOutputs, get_strategy


def read_pool(conn: sqlite3.Connection) -> list[PoolSegment]:
    segs = conn.execute(
        "SELECT id, document_id, split, start, text FROM segments WHERE status = 'todo' ORDER BY id"
    ).fetchall()
    tokenized = {
        doc_id: bool(flag) for doc_id, flag in conn.execute("SELECT id, tokenized FROM documents")
    }
    return [
        PoolSegment(seg_id, split, start, text, tokenized[doc_id])
        for seg_id, doc_id, split, start, text in segs
    ]


def sample_pool(
    pool: list[PoolSegment], max_pool: int | None, rng: np.random.Generator
) -> tuple[list[PoolSegment], list[PoolSegment], bool]:
    train = [p for p in pool if p.split == "train"]
    evals = [p for p in pool if p.split != "train"]
    if max_pool is None or len(train) <= max_pool:
        return train, evals, False
    keep = np.sort(rng.choice(len(train), size=max_pool, replace=False))
    rate = max_pool / len(train)
    n_eval = int(round(len(evals) * rate))
    keep_eval = np.sort(rng.choice(len(evals), size=n_eval, replace=False)) if evals else ()
    return [train[i] for i in keep], [evals[int(i)] for i in keep_eval], True


def mix_eval(
    train_order: list[int], eval_ids: list[int], share: float, rng: np.random.Generator
) -> list[int]:
    evals = [int(i) for i in rng.permutation(np.asarray(eval_ids, dtype=np.int64))]
    if not evals or share <= 0:
        return [int(i) for i in train_order] + evals
    share = min(float(share), 1.0)
    slots = np.floor((np.arange(len(evals)) + rng.random(len(evals))) / share).astype(np.int64)
    out: list[int] = []
    e = 0
    for tid in train_order:
        while e < len(evals) and slots[e] <= len(out):
            out.append(evals[e])
            e += 1
        out.append(int(tid))
    out.extend(evals[e:])
    return out


def rescore_queue(
    conn: sqlite3.Connection,
    folder: Path,
    version: str,
    strategy: str,
    seed: int,
    eval_share: float,
    *,
    max_pool: int | None,
    chunk: int,
    diversity_k: int = 50,
    candidates: int = 250,
) -> tuple[list[int], list[tuple[Any, ...]], np.ndarray]:
    """``(queue, suggestion rows, raw train scores)`` of a rescore, computed the old way."""
    from engine.inference.predictor import Predictor

    strat = get_strategy(strategy)
    predictor = Predictor(folder, quantized=True)
    head = load_head(folder) if strat.needs_hidden else None
    pool = read_pool(conn)
    rng = order_rng(seed, f"{version}/{strat.name}")
    train, evals, _ = sample_pool(pool, max_pool, rng)
    hidden = predictor.has_hidden and (strat.needs_hidden or diversity_k > 1)
    preds = predict_pool(predictor, [*train, *evals], hidden=hidden, chunk=chunk)
    tp = preds[: len(train)]
    outputs = ModelOutputs(
        [p.word_probs for p in tp],
        [p.word_hidden for p in tp] if strat.needs_hidden else None,
        head,
    )
    scores = strat.score(outputs, rng) if tp else np.zeros(0)
    has_emb = bool(tp) and tp[0].mean_hidden is not None and strat.name != "random"
    emb = np.stack([p.mean_hidden for p in tp]) if has_emb else None
    order = diverse_order(scores, emb, diversity_k, candidates)
    train_order = [train[i].id for i in order]
    scored = {s.id for s in train}
    rest = [p.id for p in pool if p.split == "train" and p.id not in scored]
    rest = [int(i) for i in rng.permutation(np.asarray(rest, dtype=np.int64))]
    all_eval = [p.id for p in pool if p.split != "train"]
    queue = mix_eval(train_order + rest, all_eval, eval_share, rng)
    from engine.text.snap import snap_to_words  # suggestions are whole words (issue 11)

    rows = [
        (s.id, s.start + a, s.start + b, label, float(score), version)
        for s, p in zip([*train, *evals], preds, strict=True)
        for a, b, label, score in snap_to_words(
            s.text, [(e.start, e.end, e.label, e.score) for e in p.entities]
        )
    ]
    return queue, rows, np.asarray(scores)


def cold_start_queue(
    conn: sqlite3.Connection,
    embedder: Any,
    eval_share: float,
    seed: int,
    *,
    size: int = 50,
    sample_limit: int = 5000,
    chunk: int = 256,
) -> list[int]:
    """The cold-start queue computed the old way."""
    pool = read_pool(conn)
    rng = order_rng(seed, COLD_START)
    train = [p for p in pool if p.split == "train"]
    sample = np.sort(rng.choice(len(train), size=min(sample_limit, len(train)), replace=False))
    texts = [train[i].text for i in sample]
    parts = [
        np.asarray(embedder(texts[lo : lo + chunk]), dtype=np.float32)
        for lo in range(0, len(texts), chunk)
    ]
    emb = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    first = [train[int(sample[i])].id for i in representatives(emb, size)]
    chosen = set(first)
    rest = np.asarray([p.id for p in train if p.id not in chosen], dtype=np.int64)
    order = first + [int(i) for i in rng.permutation(rest)]
    return mix_eval(order, [p.id for p in pool if p.split != "train"], eval_share, rng)


def simulate_selection(
    pool_texts: list[tuple[str, bool]],
    remaining: list[int],
    folder: Path,
    strategy: str,
    rng: np.random.Generator,
    k: int,
    diversity: bool,
) -> list[int]:
    """The batch a simulation round selected from ``remaining`` the old way."""
    from engine.inference.predictor import Predictor

    strat = get_strategy(strategy)
    head = load_head(folder) if strat.needs_hidden else None
    segs = [PoolSegment(i, "train", 0, pool_texts[i][0], pool_texts[i][1]) for i in remaining]
    preds = predict_pool(Predictor(folder, quantized=True), segs, hidden=True)
    outputs = ModelOutputs(
        [p.word_probs for p in preds],
        [p.word_hidden for p in preds] if strat.needs_hidden else None,
        head,
    )
    scores = strat.score(outputs, rng) if preds else np.zeros(0)
    has_emb = bool(preds) and preds[0].mean_hidden is not None and strat.name != "random"
    emb = np.stack([p.mean_hidden for p in preds]) if has_emb else None
    order = diverse_order(scores, emb, k if diversity else 0, 5 * k)
    return [remaining[int(i)] for i in order[:k]]
