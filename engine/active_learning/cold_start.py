"""Cold start: before any model exists, order the queue so the first sentences cover the corpus.

Todo train segments (a random sample of at most ``sample_limit`` on big pools, the only texts
read: the pool is otherwise scanned as ids) are embedded with
the base encoder (mean pooling), clustered with k-means (k-means++ start), and the member nearest
each cluster centre comes first, biggest clusters first; every other segment follows in seeded
random order (itself a representative sample). Eval segments are mixed in as usual. The order is
stored in ``al_scores`` under model version and strategy ``"cold-start"``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from engine.active_learning.diversity import representatives
from engine.active_learning.embedder import Embedder, project_encoder
from engine.active_learning.pool import RescoreResult, read_page, scan_pool
from engine.active_learning.queue import COLD_START, mix_eval, order_rng, store_order
from engine.progress import CancelToken, EventCallback, ProgressEvent, Throttle, check
from engine.store.patterns import matched_segments, prefer_matched

if TYPE_CHECKING:
    from engine.api import Project

log = logging.getLogger(__name__)

COLD_START_SIZE = 50
SAMPLE_LIMIT = 5000
EMBED_CHUNK = 256


def embed_texts(
    embedder: Embedder,
    texts: list[str],
    *,
    cancel: CancelToken | None = None,
    on_event: EventCallback | None = None,
) -> np.ndarray:
    """Embeddings of ``texts`` in chunks (cancel checked and progress reported per chunk)."""
    return embed_pages(
        embedder,
        (texts[lo : lo + EMBED_CHUNK] for lo in range(0, len(texts), EMBED_CHUNK)),
        len(texts),
        cancel=cancel,
        on_event=on_event,
    )


def embed_pages(
    embedder: Embedder,
    chunks: Iterable[list[str]],
    total: int,
    *,
    cancel: CancelToken | None = None,
    on_event: EventCallback | None = None,
) -> np.ndarray:
    """Embeddings of the texts of ``chunks`` (``total`` in all), one chunk at a time."""
    throttle = Throttle(on_event)
    out: np.ndarray | None = None
    done = 0
    for texts in chunks:
        check(cancel)
        part = np.asarray(embedder(texts), dtype=np.float32)
        if out is None:
            out = np.zeros((total, part.shape[1]), dtype=np.float32)
        out[done : done + len(part)] = part
        done += len(part)
        throttle(
            ProgressEvent("embed", done, total, f"embedded {done} of {total}"), force=done == total
        )
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def cold_start_order(
    conn: sqlite3.Connection,
    embedder: Embedder,
    eval_share: float,
    seed: int,
    *,
    size: int = COLD_START_SIZE,
    sample_limit: int = SAMPLE_LIMIT,
    cancel: CancelToken | None = None,
    on_event: EventCallback | None = None,
) -> tuple[list[int], int, int]:
    """``(queue, embedded, train_pool)``: the cold-start queue of the todo segment ids of
    ``conn``'s project. Only the sampled texts are read, :data:`EMBED_CHUNK` at a time."""
    index = scan_pool(conn, lengths=False)
    rng = order_rng(seed, COLD_START)
    train = index.train_ids
    sample = np.sort(rng.choice(len(train), size=min(sample_limit, len(train)), replace=False))
    tokenized: dict[int, bool] = {}
    chunks = (
        [s.text for s in read_page(conn, train[sample[lo : lo + EMBED_CHUNK]], tokenized)]
        for lo in range(0, len(sample), EMBED_CHUNK)
    )
    emb = embed_pages(embedder, chunks, len(sample), cancel=cancel, on_event=on_event)
    first = train[sample[representatives(emb, size)]]
    rest = train[~np.isin(train, first)]
    order = np.concatenate([first, rng.permutation(rest)])
    return mix_eval(order, index.eval_ids, eval_share, rng), len(sample), len(train)


def cold_start(
    project: Project,
    *,
    embedder: Embedder | None = None,
    size: int = COLD_START_SIZE,
    sample_limit: int = SAMPLE_LIMIT,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
) -> RescoreResult:
    """Compute and store the cold-start queue order (see the module docstring).

    ``embedder`` defaults to the project's base encoder, exported to int8 ONNX and cached in
    ``cache/`` on first use. Reports ProgressEvent stages "embed" and "store". Raises Cancelled
    (nothing stored), ModelLoadError (base encoder unusable).
    """
    started = time.monotonic()
    if embedder is None:
        emit_export = ProgressEvent("export", 0, 1, "preparing the base encoder")
        if on_event is not None:
            on_event(emit_export)
        embedder = project_encoder(project.path, str(project.setting("base_model")))
    with project.db.read() as conn:
        queue, embedded, train_pool = cold_start_order(
            conn,
            embedder,
            float(project.setting("eval_share")),
            int(project.setting("seed")),
            size=size,
            sample_limit=sample_limit,
            cancel=cancel,
            on_event=on_event,
        )
    check(cancel)
    with project.db.write() as conn:  # segments with pattern matches first (issue 15)
        evals = {int(i) for i in scan_pool(conn, lengths=False).eval_ids}
        queue = prefer_matched(queue, matched_segments(conn), evals)
        store_order(conn, COLD_START, COLD_START, queue)
    sampled = embedded < train_pool
    message = (
        f"cold start: the first {min(size, train_pool)} segments cover "
        f"{'a random sample of ' + str(embedded) + ' of ' if sampled else ''}"
        f"{train_pool} unlabelled segments (base-encoder clusters); the rest follow in "
        "random order"
    )
    if on_event is not None:
        on_event(ProgressEvent("store", 1, 1, message))
    return RescoreResult(
        version=COLD_START,
        strategy=COLD_START,
        scored=embedded,
        pool=train_pool,
        eval_segments=len(queue) - train_pool,
        suggestions=0,
        sampled=sampled,
        seconds=round(time.monotonic() - started, 2),
        message=message,
    )
