"""The unlabelled pool as scoring jobs read it, and the result those jobs return."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from engine.store.corpus import tokenized_by_document
from engine.text.tokens import whitespace_tokens, word_tokens

# Above this many todo train segments a job scores a random subsample (and says so).
DEFAULT_MAX_POOL = 20_000


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


def read_pool(conn: sqlite3.Connection) -> list[PoolSegment]:
    """Every todo segment, in id order, read in one transaction."""
    segs = conn.execute(
        "SELECT id, document_id, split, start, text FROM segments WHERE status = 'todo'"
        " ORDER BY id").fetchall()
    tokenized = tokenized_by_document(conn, "todo")
    return [PoolSegment(seg_id, split, start, text, tokenized[doc_id])
            for seg_id, doc_id, split, start, text in segs]

def sample_pool(pool: list[PoolSegment], max_pool: int | None,
                rng: np.random.Generator) -> tuple[list[PoolSegment], list[PoolSegment], bool]:
    """``(train, eval, sampled)``: the segments a job predicts.

    When the train pool exceeds ``max_pool``, a random ``max_pool`` of it is kept, and the eval
    segments at the same rate (they only get suggestions, the strategy never scores them).
    """
    train = [p for p in pool if p.split == "train"]
    evals = [p for p in pool if p.split != "train"]
    if max_pool is None or len(train) <= max_pool:
        return train, evals, False
    keep = np.sort(rng.choice(len(train), size=max_pool, replace=False))
    rate = max_pool / len(train)
    n_eval = int(round(len(evals) * rate))
    keep_eval = np.sort(rng.choice(len(evals), size=n_eval, replace=False)) if evals else ()
    return [train[i] for i in keep], [evals[int(i)] for i in keep_eval], True
