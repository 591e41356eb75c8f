"""Batch diversity over sentence embeddings (numpy only).

Uncertainty alone fills the top of a batch with near-duplicates (the same headline template, the
same table row ten times). :func:`diverse_order` re-ranks the top of a scored pool with a greedy,
deterministic form of uncertainty-weighted k-means++ seeding: the next pick maximises
``u_i · D_i²`` where ``u_i`` is the candidate's normalised uncertainty and ``D_i`` its cosine
distance to the closest sentence already picked. An exact duplicate of a picked sentence has
``D = 0`` and is only picked once nothing else is left.

:func:`representatives` serves the cold start: farthest-first centres, one typical sentence per
centre's group, biggest groups first, so the first ``k`` sentences cover the corpus.
"""

from __future__ import annotations

import numpy as np

# Below this cosine distance two sentences count as the same.
_SAME = 1e-6
# Least weight a candidate keeps, so the least uncertain candidate can still win on distance.
_FLOOR = 0.1


def normalise_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def rank_by_score(scores: np.ndarray) -> np.ndarray:
    """Indices by descending score, ties by index (deterministic)."""
    return np.lexsort((np.arange(len(scores)), -np.asarray(scores, dtype=np.float64)))


def greedy_diverse(scores: np.ndarray, embeddings: np.ndarray, k: int) -> np.ndarray:
    """``k`` indices picked greedily by ``uncertainty × distance²`` (first pick: best score).

    ``scores`` (higher = more uncertain) and ``embeddings`` are the candidates only.
    """
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    span = s.max() - s.min()
    weight = _FLOOR + (1 - _FLOOR) * ((s - s.min()) / span if span > 0 else np.ones(n))
    emb = normalise_rows(embeddings)
    nearest = np.full(n, np.inf)
    picked = np.zeros(n, dtype=bool)
    order = np.empty(k, dtype=np.int64)
    for j in range(k):
        if j == 0:
            gain = weight.copy()
        else:
            dist = np.where(nearest < _SAME, 0.0, nearest)
            gain = weight * dist**2
        gain[picked] = -1.0
        best = int(np.argmax(gain))
        order[j] = best
        picked[best] = True
        dist_to_best = 1.0 - emb @ emb[best]
        nearest = np.minimum(nearest, np.maximum(dist_to_best, 0.0))
    return order


def candidate_count(k: int, candidates: int | None) -> int:
    """How many of the best-scored rows the diversity re-ranking looks at."""
    return max(k, candidates or 5 * k)


def diverse_order(
    scores: np.ndarray, embeddings: np.ndarray | None, k: int, candidates: int | None = None
) -> np.ndarray:
    """An order of all indices: ``k`` diverse picks from the top ``candidates`` first, then the
    rest by descending score. Without embeddings (or ``k <= 1``) it is the plain score order."""
    ranked = rank_by_score(scores)
    if embeddings is None or k <= 1 or len(ranked) <= 1:
        return ranked
    pool = ranked[: candidate_count(k, candidates)]
    return _picks_first(ranked, np.asarray(scores)[pool], np.asarray(embeddings)[pool], k)


def _picks_first(
    ranked: np.ndarray, pool_scores: np.ndarray, pool_embeddings: np.ndarray, k: int
) -> np.ndarray:
    pool = ranked[: len(pool_embeddings)]
    picks = pool[greedy_diverse(pool_scores, pool_embeddings, k)]
    rest = ranked[~np.isin(ranked, picks)]
    return np.concatenate([picks, rest])


class TopCandidates:
    """The embeddings of the ``size`` best-scored rows seen so far (ties: lower row first), so
    a pool scored page by page is re-ranked without keeping every embedding:
    ``top.order(scores, k)`` equals ``diverse_order(scores, all_embeddings, k, size)``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows = np.zeros(0, dtype=np.int64)
        self.scores = np.zeros(0, dtype=np.float64)
        self.embeddings: np.ndarray | None = None

    def add(self, rows: np.ndarray, scores: np.ndarray, embeddings: np.ndarray) -> None:
        """Offer a page: ``rows`` (pool positions), their ``scores`` and ``embeddings``."""
        if len(rows) == 0:
            return
        all_rows = np.concatenate([self.rows, np.asarray(rows, dtype=np.int64)])
        all_scores = np.concatenate([self.scores, np.asarray(scores, dtype=np.float64)])
        emb = np.asarray(embeddings)
        all_emb = emb if self.embeddings is None else np.concatenate([self.embeddings, emb])
        keep = np.lexsort((all_rows, -all_scores))[: self.size]
        self.rows, self.scores, self.embeddings = all_rows[keep], all_scores[keep], all_emb[keep]

    def order(self, scores: np.ndarray, k: int) -> np.ndarray:
        """The order of every row of ``scores`` (the whole pool's), diverse picks first."""
        ranked = rank_by_score(scores)
        if self.embeddings is None or k <= 1 or len(ranked) <= 1:
            return ranked
        pool = ranked[: self.size]
        where = {int(r): i for i, r in enumerate(self.rows)}
        emb = self.embeddings[[where[int(r)] for r in pool]]
        return _picks_first(ranked, np.asarray(scores)[pool], emb, k)


def farthest_first(x: np.ndarray, k: int) -> np.ndarray:
    """``k`` row indices by farthest-first traversal (k-center greedy) of unit rows ``x``,
    starting from the row nearest the mean: each pick is the row farthest from all picked."""
    n = len(x)
    k = min(k, n)
    first = int(np.argmax(x @ x.mean(axis=0)))
    picks = [first]
    nearest = 1.0 - x @ x[first]
    for _ in range(1, k):
        nxt = int(np.argmax(nearest))
        picks.append(nxt)
        nearest = np.minimum(nearest, 1.0 - x @ x[nxt])
    return np.asarray(picks, dtype=np.int64)


def representatives(embeddings: np.ndarray, k: int) -> np.ndarray:
    """``k`` indices that cover the embeddings, biggest groups first.

    Farthest-first traversal finds ``k`` centres that leave no region uncovered (k-means would
    rather split a big topic than keep a small one); every row joins its nearest centre, and each
    group is represented by its member nearest the group mean, so an outlier only stands for
    itself and comes last.
    """
    x = normalise_rows(embeddings)
    if len(x) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    centres = farthest_first(x, k)
    assign = np.argmax(x @ x[centres].T, axis=1)
    assign[centres] = np.arange(len(centres))
    reps, sizes = [], []
    for c in range(len(centres)):
        members = np.flatnonzero(assign == c)
        mean = x[members].mean(axis=0)
        reps.append(int(members[np.argmax(x[members] @ mean)]))
        sizes.append(len(members))
    order = np.lexsort((np.asarray(reps), -np.asarray(sizes)))
    return np.asarray(reps, dtype=np.int64)[order]
