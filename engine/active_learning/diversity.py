"""Batch diversity over sentence embeddings (numpy only).

Uncertainty alone fills the top of a batch with near-duplicates (the same headline template, the
same table row ten times). :func:`diverse_order` re-ranks the top of a scored pool with a greedy,
deterministic form of uncertainty-weighted k-means++ seeding: the next pick maximises
``u_i · D_i²`` where ``u_i`` is the candidate's normalised uncertainty and ``D_i`` its cosine
distance to the closest sentence already picked. An exact duplicate of a picked sentence has
``D = 0`` and is only picked once nothing else is left.

:func:`kmeans` and :func:`representatives` serve the cold start: one sentence near the centre of
each of ``k`` clusters, biggest clusters first, so the first ``k`` sentences cover the corpus.
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


def diverse_order(scores: np.ndarray, embeddings: np.ndarray | None, k: int,
                  candidates: int | None = None) -> np.ndarray:
    """An order of all indices: ``k`` diverse picks from the top ``candidates`` first, then the
    rest by descending score. Without embeddings (or ``k <= 1``) it is the plain score order."""
    ranked = rank_by_score(scores)
    if embeddings is None or k <= 1 or len(ranked) <= 1:
        return ranked
    pool = ranked[: max(k, candidates or 5 * k)]
    picks = pool[greedy_diverse(np.asarray(scores)[pool], np.asarray(embeddings)[pool], k)]
    rest = ranked[~np.isin(ranked, picks)]
    return np.concatenate([picks, rest])


def _sq_distances(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d = (x * x).sum(1)[:, None] - 2.0 * (x @ centres.T) + (centres * centres).sum(1)[None]
    return np.maximum(d, 0.0)


def kmeanspp_init(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` starting centres drawn by k-means++ (D² sampling); returns row indices."""
    n = len(x)
    chosen = [int(rng.integers(n))]
    d2 = _sq_distances(x, x[chosen])[:, 0]
    for _ in range(1, min(k, n)):
        total = d2.sum()
        nxt = int(rng.choice(n, p=d2 / total)) if total > 0 else int(rng.integers(n))
        chosen.append(nxt)
        d2 = np.minimum(d2, _sq_distances(x, x[nxt:nxt + 1])[:, 0])
    return np.asarray(chosen, dtype=np.int64)


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator,
           iterations: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means from a k-means++ start; returns ``(centres, assignment)``."""
    x = np.asarray(x, dtype=np.float32)
    centres = x[kmeanspp_init(x, k, rng)].copy()
    assign = np.zeros(len(x), dtype=np.int64)
    for it in range(iterations):
        new = _sq_distances(x, centres).argmin(axis=1)
        if it > 0 and np.array_equal(new, assign):
            break
        assign = new
        counts = np.bincount(assign, minlength=len(centres)).astype(np.float32)
        sums = np.zeros_like(centres)
        np.add.at(sums, assign, x)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return centres, assign


def representatives(embeddings: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """One index per k-means cluster (the member nearest its centre), biggest clusters first."""
    x = normalise_rows(embeddings)
    if len(x) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    centres, assign = kmeans(x, min(k, len(x)), rng)
    d2 = _sq_distances(x, centres)[np.arange(len(x)), assign]
    reps, sizes = [], []
    for c in np.unique(assign):
        members = np.flatnonzero(assign == c)
        reps.append(int(members[np.argmin(d2[members])]))
        sizes.append(len(members))
    order = np.lexsort((np.asarray(reps), -np.asarray(sizes)))
    return np.asarray(reps, dtype=np.int64)[order]
