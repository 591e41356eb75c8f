"""The labelling queue: a stored, stable order over the segments still to label.

The order is computed once per rescore (or cold start) and *materialised* in ``al_scores`` as a
priority per todo segment, so the queue is one indexed ``ORDER BY`` and stays the same while a
person works (segments only leave it when labelled or skipped):

1. train-split segments in strategy order, the top window re-ranked for diversity;
2. eval-split segments, shuffled, inserted at random positions at the ``eval_share`` rate (one in
   each block of ``1/eval_share`` positions, at a random place in the block), so people label
   the honest evaluation sample too but the strategy never chooses it;
3. the priority stored is ``1 − position / n`` (1 = label first). Segments without a row (imported
   after the last scoring) follow in import order.
"""

from __future__ import annotations

import logging
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import ValidationError
from engine.store.scoring import store_order as store_order  # callers import it from here

if TYPE_CHECKING:
    from engine.active_learning.embedder import Embedder
    from engine.api import Project

log = logging.getLogger(__name__)

COLD_START = "cold-start"


@dataclass(frozen=True)
class QueueItem:
    """A segment in queue order.

    ``score`` is the stored priority (1 = first, falling to 0 at the end of the queue) for train
    segments; None for eval segments (no strategy chose them) and for segments not scored yet.
    ``priority`` is the stored value for every scored segment: pass the last one shown as
    ``queue_page(after=...)`` to fetch the next page in constant time.
    """

    segment_id: int
    text: str
    score: float | None
    is_eval: bool
    document_id: int = 0
    status: str = "todo"
    position: int = 0
    priority: float | None = None


def order_rng(seed: int, key: str) -> np.random.Generator:
    """A generator seeded by the project seed and a text key (stable across runs)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(key.encode("utf-8"))])


def mix_eval(
    train_order: Sequence[int] | np.ndarray,
    eval_ids: Sequence[int] | np.ndarray,
    share: float,
    rng: np.random.Generator,
) -> list[int]:
    """``train_order`` with ``eval_ids`` (shuffled) inserted at the ``share`` rate.

    Eval item ``j`` goes to queue position ``floor((j + u_j) / share)`` with ``u_j`` uniform in
    [0, 1): exactly the rate, random within each block. Eval items beyond the train queue's end
    follow it.
    """
    train = np.asarray(train_order, dtype=np.int64)
    evals = rng.permutation(np.asarray(eval_ids, dtype=np.int64))
    if not len(evals) or share <= 0:
        return [int(i) for i in np.concatenate([train, evals])]
    share = min(float(share), 1.0)
    slots = np.floor((np.arange(len(evals)) + rng.random(len(evals))) / share).astype(np.int64)
    # eval j lands before the first train item t with slots[j] <= t + j (its queue position),
    # and never before eval j - 1
    before = np.maximum.accumulate(np.maximum(slots - np.arange(len(evals)), 0))
    return np.insert(train, np.minimum(before, len(train)), evals).tolist()


def priorities(n: int) -> np.ndarray:
    """Strictly decreasing priorities ``1 − position / n`` for ``n`` queue positions."""
    return 1.0 - np.arange(n, dtype=np.float64) / max(n, 1)


def todo_ids(conn: sqlite3.Connection, split: str) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM segments WHERE status = 'todo' AND split = ? ORDER BY id", (split,)
        )
    ]


def _has_rows(conn: sqlite3.Connection, version: str, strategy: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM al_scores WHERE model_version = ? AND strategy = ? LIMIT 1",
            (version, strategy),
        ).fetchone()
        is not None
    )


def queue_key(project: Project, strategy: str | None = None) -> tuple[str, str] | None:
    """Which stored order the queue follows: the active version's scores for ``strategy`` (the
    project's strategy by default), else its latest scores of any strategy, else the cold-start
    order, else None (no order stored yet)."""
    name = strategy or str(project.setting("strategy"))
    active = project.versions.active()
    conn = project.db.connection()
    if active is not None:
        if _has_rows(conn, active.name, name):
            return active.name, name
        r = conn.execute(
            "SELECT strategy FROM al_scores WHERE model_version = ?"
            " ORDER BY computed_at DESC LIMIT 1",
            (active.name,),
        ).fetchone()
        if r is not None:
            return active.name, str(r[0])
    if _has_rows(conn, COLD_START, COLD_START):
        return COLD_START, COLD_START
    return None


# Scored segments straight from the (model_version, strategy, score) index, no sort: the cost
# is the page plus the rows skipped by OFFSET.
_SCORED_SQL = """
WITH page AS (
    SELECT a.segment_id AS id, a.score AS score
    FROM al_scores a JOIN segments s ON s.id = a.segment_id
    WHERE a.model_version = ? AND a.strategy = ?{where}
    ORDER BY a.score DESC LIMIT ? OFFSET ?
)
SELECT s.id, s.document_id, s.status, s.split, p.score,
       s.text
FROM page p JOIN segments s ON s.id = p.id
ORDER BY p.score DESC
"""
_SCORED_COUNT_SQL = """
SELECT count(*) FROM al_scores a JOIN segments s ON s.id = a.segment_id
WHERE a.model_version = ? AND a.strategy = ?{where}
"""
# Segments imported after the last scoring: after the scored ones, in import order.
_UNSCORED_SQL = """
WITH page AS (
    SELECT s.id AS id FROM segments s
    WHERE NOT EXISTS (SELECT 1 FROM al_scores a WHERE a.segment_id = s.id
                      AND a.model_version = ? AND a.strategy = ?){where}
    ORDER BY s.id LIMIT ? OFFSET ?
)
SELECT s.id, s.document_id, s.status, s.split, NULL,
       s.text
FROM page p JOIN segments s ON s.id = p.id
ORDER BY s.id
"""


def _filters(
    status: str | None, search: str | None, after: float | None = None
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if status is not None:
        if status not in ("todo", "labelled", "skipped"):
            raise ValidationError(f"unknown status {status!r}", field="status")
        clauses.append("s.status = ?")
        params.append(status)
    if search:
        clauses.append("instr(lower(s.text), ?) > 0")
        params.append(search.lower())
    if after is not None:
        clauses.append("a.score < ?")
        params.append(float(after))
    return "".join(" AND " + c for c in clauses), params


def queue_page(
    project: Project,
    offset: int = 0,
    limit: int = 100,
    *,
    status: str | None = None,
    search: str | None = None,
    strategy: str | None = None,
    after: float | None = None,
) -> list[QueueItem]:
    """Segments in queue order, ``offset``/``limit`` paging for lazy lists.

    ``status`` filters (None = every status), ``search`` is a case-insensitive substring.
    Scored segments come from one indexed query (no sort); segments without a stored score
    (imported after the last scoring) follow in import order. The cost grows with ``offset``
    (about 2.5 µs per skipped row); ``after`` (the ``priority`` of the last item already loaded,
    with ``offset`` 0) is a cursor that makes deep pages as cheap as the first.
    """
    if offset < 0 or limit < 0:
        raise ValidationError("offset and limit must be >= 0", field="offset")
    conn = project.db.connection()
    key = queue_key(project, strategy) or ("", "")
    where, params = _filters(status, search, after)
    rows = conn.execute(_SCORED_SQL.format(where=where), (*key, *params, limit, offset)).fetchall()
    if len(rows) < limit:
        if rows:
            scored = offset + len(rows)
        else:
            scored = int(
                conn.execute(_SCORED_COUNT_SQL.format(where=where), (*key, *params)).fetchone()[0]
            )
        where, params = _filters(status, search)
        rows += conn.execute(
            _UNSCORED_SQL.format(where=where),
            (*key, *params, limit - len(rows), max(0, offset - scored)),
        ).fetchall()
    return [
        QueueItem(
            segment_id=r[0],
            document_id=r[1],
            status=r[2],
            is_eval=r[3] == "eval",
            score=None if r[3] == "eval" or r[4] is None else float(r[4]),
            text=r[5],
            position=offset + i,
            priority=None if r[4] is None else float(r[4]),
        )
        for i, r in enumerate(rows)
    ]


def next_segments(
    project: Project, n: int = 10, strategy: str | None = None, *, embedder: Embedder | None = None
) -> list[QueueItem]:
    """The next ``n`` todo segments to label, in the stored queue order.

    Train segments come in strategy order for the active version (see :func:`queue_key`); eval
    segments are mixed in at the ``eval_share`` rate. With no model and no stored order yet, the
    cold-start order is computed first (stored, or only returned for a read-only project); with
    a model that has not scored the pool yet, segments come in import order until
    :func:`~engine.active_learning.rescore` runs. Labelled and skipped segments never appear.
    """
    if n <= 0:
        return []
    if queue_key(project, strategy) is None and project.versions.active() is None:
        from engine.active_learning.cold_start import cold_start, cold_start_order

        if not project.read_only:
            cold_start(project, embedder=embedder)
        else:
            if embedder is None:
                from engine.active_learning.embedder import project_encoder

                embedder = project_encoder(project.path, str(project.setting("base_model")))
            with project.db.read() as conn:
                order, _, _ = cold_start_order(
                    conn,
                    embedder,
                    float(project.setting("eval_share")),
                    int(project.setting("seed")),
                )
            return _items_for(project, order[:n], priorities(len(order))[:n])
    return queue_page(project, 0, n, status="todo", strategy=strategy)


def _items_for(project: Project, ids: Sequence[int], prios: np.ndarray) -> list[QueueItem]:
    from engine.store.corpus import get_segment

    conn = project.db.connection()
    out = []
    for pos, (seg_id, prio) in enumerate(zip(ids, prios, strict=True)):
        seg = get_segment(conn, seg_id)
        is_eval = seg.split == "eval"
        out.append(
            QueueItem(
                seg.id,
                seg.text,
                None if is_eval else float(prio),
                is_eval,
                seg.document_id,
                seg.status,
                pos,
                float(prio),
            )
        )
    return out
