"""The unlabelled pool as scoring jobs read it — an index of ids first, texts page by page — and
the result those jobs return.

A job never holds the pool's texts: :func:`scan_pool` keeps three numbers per todo segment (id,
split, text length), :func:`plan_pool` picks what to predict (a seeded subsample above
``max_pool``), :func:`pages` cuts it into the length-sorted chunks the predictor runs, and
:func:`read_page` reads one chunk's texts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine.store.scoring import read_segments, scan_todo
from engine.text.tokens import whitespace_tokens, word_tokens

# Above this many todo train segments a job scores a random subsample (and says so).
DEFAULT_MAX_POOL = 20_000
# Segments per page: the predictor's chunk (length-sorted), the unit of staging and cancel.
PAGE = 256


@dataclass(frozen=True)
class PoolSegment:
    """A todo segment: ``text`` is the segment's text, ``start`` its offset in the document."""

    id: int
    split: str
    start: int
    text: str
    tokenized: bool

    def words(self) -> list[tuple[int, int]]:
        """Word ``(start, end)`` offsets on ``text`` (whitespace for pre-tokenised documents)."""
        split = whitespace_tokens if self.tokenized else word_tokens
        return [(t.start, t.end) for t in split(self.text)]


@dataclass(frozen=True)
class RescoreResult:
    """What a scoring job (rescore or cold start) stored.

    ``version`` is the model version (``"cold-start"`` before any model); ``scored`` the train
    segments the strategy scored out of ``pool`` todo train segments (fewer when ``sampled``);
    ``eval_segments`` the eval segments mixed into the queue; ``suggestions`` the spans proposed;
    ``mean_score`` the mean raw strategy score of the scored segments (None for cold start).
    """

    version: str
    strategy: str
    scored: int
    pool: int
    eval_segments: int
    suggestions: int
    sampled: bool
    seconds: float
    message: str
    diversity_window: int = 0
    mean_score: float | None = None


@dataclass(frozen=True)
class PoolIndex:
    """The todo pool as numbers, in id order: ``ids``, ``train`` (split mask), ``lengths``
    (text length in code points; zeros when scanned without texts)."""

    ids: np.ndarray
    train: np.ndarray
    lengths: np.ndarray

    @property
    def train_ids(self) -> np.ndarray:
        return np.asarray(self.ids[self.train])

    @property
    def eval_ids(self) -> np.ndarray:
        return np.asarray(self.ids[~self.train])


@dataclass(frozen=True)
class PoolPlan:
    """What a job predicts: rows of the :class:`PoolIndex` — ``train`` (the strategy scores
    them, in this order), ``evals`` (suggestions only); ``sampled`` when subsampled."""

    index: PoolIndex
    train: np.ndarray
    evals: np.ndarray
    sampled: bool

    @property
    def predicted(self) -> np.ndarray:
        """Index rows predicted, train first: position ``p`` of a page refers to this order."""
        return np.concatenate([self.train, self.evals])


def scan_pool(conn: sqlite3.Connection, *, lengths: bool = True) -> PoolIndex:
    """Every todo segment as ``(id, split, length)``, streamed (texts are not kept)."""
    rows = scan_todo(conn, lengths=lengths)
    flat = np.fromiter((v for row in rows for v in row), dtype=np.int64)
    flat = flat.reshape(-1, 3)
    return PoolIndex(flat[:, 0].copy(), flat[:, 1].astype(bool), flat[:, 2].copy())


def plan_pool(index: PoolIndex, max_pool: int | None, rng: np.random.Generator) -> PoolPlan:
    """The segments a job predicts: every todo segment, or above ``max_pool`` train segments a
    random ``max_pool`` of them and the eval segments at the same rate (they only get
    suggestions, the strategy never scores them)."""
    train = np.flatnonzero(index.train)
    evals = np.flatnonzero(~index.train)
    if max_pool is None or len(train) <= max_pool:
        return PoolPlan(index, train, evals, False)
    keep = np.sort(rng.choice(len(train), size=max_pool, replace=False))
    rate = max_pool / len(train)
    n_eval = int(round(len(evals) * rate))
    keep_eval = (
        np.sort(rng.choice(len(evals), size=n_eval, replace=False))
        if len(evals)
        else np.zeros(0, dtype=np.int64)
    )
    return PoolPlan(index, train[keep], evals[keep_eval], True)


def pages(lengths: np.ndarray, page: int = PAGE) -> Iterator[np.ndarray]:
    """Positions ``0..n-1`` sorted by length (stable), ``page`` at a time: the chunks the
    predictor runs, so every batch holds the same sentences as when the pool is predicted at
    once."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    for lo in range(0, len(order), page):
        yield order[lo : lo + page]


def read_page(
    conn: sqlite3.Connection, ids: np.ndarray, tokenized: dict[int, bool]
) -> list[PoolSegment]:
    """The segments ``ids`` (in that order; ``tokenized`` caches document flags between pages).

    A segment deleted since the scan comes back as an empty text, so positions stay aligned.
    """
    found = {r[0]: r for r in read_segments(conn, [int(i) for i in ids], tokenized)}
    return [
        PoolSegment(*found[int(i)])
        if int(i) in found
        else PoolSegment(int(i), "train", 0, "", True)
        for i in ids
    ]
