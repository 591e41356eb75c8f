"""Stored patterns and dictionaries, and the suggestions (source ``pattern``) they propose.

A pattern is kept as JSON text in ``patterns.pattern``: a string for a phrase or dictionary
term, a list of token dicts for a spaCy token pattern. Matches become suggestions on to-do
segments only (never spans: a person accepts them), skipping accepted spans and remembered
rejections (:func:`engine.store.annotations.insert_suggestions`). Before any model exists the
cold-start queue puts segments with pattern suggestions first (:func:`prefer_matched`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from engine.errors import NotFoundError
from engine.store.annotations import insert_suggestions
from engine.store.labels import add_label
from engine.store.util import now
from engine.text.matcher import LabelledPattern, PatternSet

PATTERN_SOURCE = "pattern"
COLD_START = "cold-start"  # engine.active_learning.queue.COLD_START (no import: store is lower)


def _dump(pattern: str | list[Any]) -> str:
    return json.dumps(pattern, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def list_patterns(conn: sqlite3.Connection) -> list[LabelledPattern]:
    return [
        LabelledPattern(label, json.loads(text), pid)
        for pid, label, text in conn.execute(
            "SELECT id, label, pattern FROM patterns ORDER BY label, id"
        )
    ]


def add_patterns(conn: sqlite3.Connection, patterns: Sequence[LabelledPattern]) -> int:
    """Store patterns (duplicates ignored; unknown labels are added); returns how many were new.
    Caller holds the write transaction."""
    known = {n for (n,) in conn.execute("SELECT name FROM labels")}
    for label in dict.fromkeys(p.label for p in patterns):
        if label not in known:
            add_label(conn, label)
    before = conn.total_changes
    stamp = now()
    conn.executemany(
        "INSERT OR IGNORE INTO patterns (label, pattern, created_at) VALUES (?, ?, ?)",
        [(p.label, _dump(p.pattern), stamp) for p in patterns],
    )
    return conn.total_changes - before


def remove_patterns(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    """Delete patterns by id (NotFoundError for an unknown id; nothing deleted then)."""
    ids = [int(i) for i in ids]
    known = (
        {
            r[0]
            for r in conn.execute(
                f"SELECT id FROM patterns WHERE id IN ({','.join('?' * len(ids))})", ids
            )
        }
        if ids
        else set()
    )
    missing = [i for i in ids if i not in known]
    if missing:
        raise NotFoundError(f"no pattern with id {missing[0]}")
    conn.executemany("DELETE FROM patterns WHERE id = ?", [(i,) for i in ids])
    return len(ids)


def apply_patterns(conn: sqlite3.Connection) -> int:
    """Replace every ``pattern`` suggestion with the current patterns' matches on to-do
    segments; returns how many suggestions are stored. Caller holds the write transaction."""
    conn.execute("DELETE FROM suggestions WHERE source = ?", (PATTERN_SOURCE,))
    matcher = PatternSet(list_patterns(conn))
    if matcher:
        tokenized = {
            d: bool(t)
            for d, t in conn.execute(
                "SELECT id, tokenized FROM documents WHERE id IN (SELECT DISTINCT document_id"
                " FROM segments WHERE status = 'todo')"
            )
        }
        rows: list[tuple[int, int, int, str, float | None, str | None, str]] = []
        for seg_id, doc_id, seg_start, text in conn.execute(
            "SELECT id, document_id, start, text FROM segments WHERE status = 'todo' ORDER BY id"
        ).fetchall():
            for start, end, label in matcher.matches(text, tokenized.get(doc_id, False)):
                rows.append(
                    (seg_id, seg_start + start, seg_start + end, label, None, None, PATTERN_SOURCE)
                )
        insert_suggestions(conn, rows)
    reorder_cold_start(conn)
    return int(
        conn.execute(
            "SELECT count(*) FROM suggestions WHERE source = ?", (PATTERN_SOURCE,)
        ).fetchone()[0]
    )


def matched_segments(conn: sqlite3.Connection) -> set[int]:
    """Segments that hold at least one pattern suggestion."""
    return {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT segment_id FROM suggestions WHERE source = ?", (PATTERN_SOURCE,)
        )
    }


def prefer_matched(
    order: Sequence[int], matched: set[int], keep: frozenset[int] | set[int] = frozenset()
) -> list[int]:
    """``order`` with the matched ids first (each group in its own order); ids in ``keep``
    (eval segments) stay at their positions, so the eval share is mixed in as before."""
    slots = [i for i, seg in enumerate(order) if seg not in keep]
    movable = [order[i] for i in slots]
    moved = [s for s in movable if s in matched] + [s for s in movable if s not in matched]
    out = list(order)
    for i, seg in zip(slots, moved, strict=True):
        out[i] = seg
    return out


def reorder_cold_start(conn: sqlite3.Connection) -> None:
    """Re-store the cold-start order with matched segments first (no-op when none stored)."""
    rows = conn.execute(
        "SELECT a.segment_id, s.split FROM al_scores a JOIN segments s ON s.id = a.segment_id"
        " WHERE a.model_version = ? AND a.strategy = ? ORDER BY a.score DESC",
        (COLD_START, COLD_START),
    ).fetchall()
    if not rows:
        return
    order = [r[0] for r in rows]
    new = prefer_matched(order, matched_segments(conn), {r[0] for r in rows if r[1] == "eval"})
    if new == order:
        return
    # the same priorities as engine.active_learning.queue.store_order: 1 - position / n
    conn.execute(
        "DELETE FROM al_scores WHERE model_version = ? AND strategy = ?", (COLD_START, COLD_START)
    )
    stamp = now()
    conn.executemany(
        "INSERT INTO al_scores (segment_id, model_version, strategy, score, computed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(seg, COLD_START, COLD_START, 1.0 - i / len(new), stamp) for i, seg in enumerate(new)],
    )


def suggestions_by_source(conn: sqlite3.Connection) -> dict[str, int]:
    """``{"model": n, "pattern": n, "imported": n}`` pending suggestions per source."""
    out = {"model": 0, "pattern": 0, "imported": 0}
    for source, n in conn.execute("SELECT source, count(*) FROM suggestions GROUP BY source"):
        out[str(source)] = int(n)
    return out
