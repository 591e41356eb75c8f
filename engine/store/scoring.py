"""The SQL of the scoring jobs (rescore, cold start): reading the todo pool in pages, staging
their results, and swapping them in as one transaction.

A job reads the pool once as ``(id, split, text length)`` rows (streamed, nothing kept but what
the caller keeps), then the texts of each page by id. What it computes is staged in TEMP tables
of the job's connection (``temp.scoring_*``: no write lock on the project while the job runs,
and they vanish with a killed process); :func:`commit_scoring` swaps the new order and
suggestions in with one write transaction the caller opens, so a cancelled, failed or killed job
leaves the previous queue and suggestions exactly as they were.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from engine.store.annotations import insert_suggestions
from engine.store.util import now

# (segment id, start, end, label, score, model version) in document offsets.
SuggestionRow = tuple[int, int, int, str, float, str | None]

# Rows fetched, staged or copied per round trip: bounds what any step holds in memory.
BATCH = 5000
# SQLite's default limit of bound parameters is 32766 (3.32+); stay well below it.
_IDS_PER_QUERY = 900

_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS scoring_rows (pos INTEGER NOT NULL, segment_id INTEGER"
    ' NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, label TEXT NOT NULL, score REAL,'
    " model_version TEXT)",
    "CREATE TEMP TABLE IF NOT EXISTS scoring_segments (segment_id INTEGER PRIMARY KEY)",
    "CREATE TEMP TABLE IF NOT EXISTS scoring_eligible (segment_id INTEGER PRIMARY KEY)",
)
_STAGING_TABLES = ("scoring_rows", "scoring_segments", "scoring_eligible")


def scan_todo(conn: sqlite3.Connection, *, lengths: bool = True) -> Iterator[tuple[int, bool, int]]:
    """``(id, is_train, text length)`` of every todo segment in id order, streamed.

    The length is Python's ``len`` of the text (code points, as the predictor sorts by);
    0 when ``lengths`` is False (the text is then never read).
    """
    if not lengths:
        for seg_id, split in conn.execute(
            "SELECT id, split FROM segments WHERE status = 'todo' ORDER BY id"
        ):
            yield seg_id, split == "train", 0
        return
    for seg_id, split, text in conn.execute(
        "SELECT id, split, text FROM segments WHERE status = 'todo' ORDER BY id"
    ):
        yield seg_id, split == "train", len(text)


def read_segments(
    conn: sqlite3.Connection, ids: Sequence[int], tokenized: dict[int, bool]
) -> list[tuple[int, str, int, str, bool]]:
    """``(id, split, start, text, tokenized)`` of the segments ``ids``, in that order.

    ``tokenized`` caches the documents' flags between pages (read once per document: the flag
    is stored after the document text). Ids of segments deleted meanwhile are left out.
    """
    rows: dict[int, tuple[int, str, int, str]] = {}
    for lo in range(0, len(ids), _IDS_PER_QUERY):
        part = [int(i) for i in ids[lo : lo + _IDS_PER_QUERY]]
        marks = ",".join("?" * len(part))
        for seg_id, doc_id, split, start, text in conn.execute(
            f"SELECT id, document_id, split, start, text FROM segments WHERE id IN ({marks})", part
        ):
            rows[seg_id] = (doc_id, split, start, text)
    missing = sorted({doc for doc, _, _, _ in rows.values()} - tokenized.keys())
    for lo in range(0, len(missing), _IDS_PER_QUERY):
        part = missing[lo : lo + _IDS_PER_QUERY]
        tokenized.update(
            (doc_id, bool(flag))
            for doc_id, flag in conn.execute(
                f"SELECT id, tokenized FROM documents WHERE id IN ({','.join('?' * len(part))})",
                part,
            )
        )
    out = []
    for seg_id in ids:
        row = rows.get(int(seg_id))
        if row is not None:
            doc_id, split, start, text = row
            out.append((int(seg_id), split, start, text, tokenized.get(doc_id, False)))
    return out


def begin_staging(conn: sqlite3.Connection) -> None:
    """Create (or empty) this connection's staging tables."""
    for statement in _STAGING:
        conn.execute(statement)
    for table in _STAGING_TABLES:
        conn.execute(f"DELETE FROM temp.{table}")


def drop_staging(conn: sqlite3.Connection) -> None:
    """Drop the staging tables (after the commit, or when the job stops)."""
    for table in _STAGING_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def stage_page(
    conn: sqlite3.Connection, predicted: Sequence[int], rows: Iterable[tuple[int, SuggestionRow]]
) -> None:
    """Stage one page: the segment ids predicted and their suggestion rows, each row with its
    position ``pos`` in the job's order (the order suggestions are inserted in)."""
    conn.executemany(
        "INSERT OR IGNORE INTO temp.scoring_segments VALUES (?)", [(int(i),) for i in predicted]
    )
    conn.executemany(
        'INSERT INTO temp.scoring_rows (pos, segment_id, start, "end", label,'
        " score, model_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(pos, *row) for pos, row in rows],
    )


def store_order(
    conn: sqlite3.Connection, model_version: str, strategy: str, ordered_ids: Sequence[int]
) -> None:
    """Replace the stored order of ``(model_version, strategy)`` (caller holds a write txn).

    Position ``i`` of ``n`` gets priority ``1 − i / n`` (1 = label first)."""
    conn.execute(
        "DELETE FROM al_scores WHERE model_version = ? AND strategy = ?", (model_version, strategy)
    )
    stamp = now()
    n = max(len(ordered_ids), 1)
    conn.executemany(
        "INSERT INTO al_scores (segment_id, model_version, strategy, score, computed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            (int(seg_id), model_version, strategy, 1.0 - pos / n, stamp)
            for pos, seg_id in enumerate(ordered_ids)
        ),
    )


def commit_scoring(
    conn: sqlite3.Connection,
    version: str,
    strategy: str,
    queue: Sequence[int],
    read_at: str,
    keep_version: str,
) -> None:
    """Swap in a rescore (caller holds the write transaction): the queue order, stale orders of
    versions other than ``version`` and ``keep_version`` dropped, the staged suggestions.

    Suggestions are left alone on segments the person touched while the job ran (labelled,
    skipped or edited after ``read_at``) and on segments holding suggestions without a model
    version (imported pre-annotations: the person's data). Staged rows go in through
    :func:`~engine.store.annotations.insert_suggestions` (no row over an accepted span, none
    rejected before), in staging order, :data:`BATCH` at a time.
    """
    store_order(conn, version, strategy, queue)
    conn.execute("DELETE FROM al_scores WHERE model_version NOT IN (?, ?)", (version, keep_version))
    conn.execute("DELETE FROM temp.scoring_eligible")
    conn.execute(
        "INSERT INTO temp.scoring_eligible SELECT p.segment_id FROM temp.scoring_segments p"
        " JOIN segments s ON s.id = p.segment_id WHERE s.status = 'todo' AND s.updated_at <= ?"
        " AND NOT EXISTS (SELECT 1 FROM suggestions x WHERE x.segment_id = p.segment_id"
        " AND x.model_version IS NULL)",
        (read_at,),
    )
    conn.execute(
        "DELETE FROM suggestions WHERE source = 'model' AND segment_id IN"
        " (SELECT segment_id FROM temp.scoring_eligible)"
    )
    cursor = conn.execute(
        'SELECT r.segment_id, r.start, r."end", r.label, r.score, r.model_version'
        " FROM temp.scoring_rows r JOIN temp.scoring_eligible e ON e.segment_id = r.segment_id"
        " ORDER BY r.pos, r.rowid"
    )
    while batch := cursor.fetchmany(BATCH):
        insert_suggestions(conn, [(*r, "model") for r in batch])


def staged_count(conn: sqlite3.Connection) -> int:
    """How many suggestion rows are staged."""
    return int(conn.execute("SELECT count(*) FROM temp.scoring_rows").fetchone()[0])
