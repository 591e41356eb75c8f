"""The project database schema and its migrations.

The schema is created explicitly and versioned with ``PRAGMA user_version``. A migration from
version N runs inside one transaction after a backup copy of the database has been taken.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 3

SCHEMA_V1 = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    color TEXT NOT NULL,
    hotkey TEXT,
    position INTEGER NOT NULL
);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    source TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL UNIQUE,
    tokenized INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'labelled', 'skipped')),
    split TEXT NOT NULL DEFAULT 'train' CHECK (split IN ('train', 'eval')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (0 <= start AND start <= "end")
);
CREATE INDEX segments_document ON segments(document_id, position);
CREATE INDEX segments_status ON segments(status, split);

CREATE TABLE spans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids never reused: undo/redo re-inserts by id
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    source TEXT NOT NULL DEFAULT 'human' CHECK (source IN ('human', 'model', 'imported')),
    created_at TEXT NOT NULL,
    CHECK (0 <= start AND start < "end")
);
CREATE INDEX spans_segment ON spans(segment_id, start);
CREATE INDEX spans_label ON spans(label_id);

-- Pending proposals (model predictions or pre-annotations imported --as-suggestions).
CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    label TEXT NOT NULL,
    score REAL,
    model_version TEXT,
    CHECK (0 <= start AND start < "end")
);
CREATE INDEX suggestions_segment ON suggestions(segment_id);

CREATE TABLE model_versions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    base_model TEXT NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',
    counts TEXT NOT NULL DEFAULT '{}',
    config TEXT NOT NULL DEFAULT '{}',
    labelled_segments INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE training_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    config TEXT NOT NULL DEFAULT '{}',
    version_id INTEGER REFERENCES model_versions(id) ON DELETE SET NULL,
    log TEXT NOT NULL DEFAULT '',
    error TEXT
);

-- Active-learning scores: higher = more worth labelling next.
CREATE TABLE al_scores (
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,
    strategy TEXT NOT NULL,
    score REAL NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (segment_id, model_version, strategy)
);
CREATE INDEX al_scores_rank ON al_scores(model_version, strategy, score);
"""


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the current schema in an empty database (caller holds the write transaction).

    Version 1 plus every migration: a new project and a migrated one have the same schema.
    """
    for statement in _statements(SCHEMA_V1):
        conn.execute(statement)
    for version in range(1, SCHEMA_VERSION):
        MIGRATIONS[version](conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> list[str]:
    """Split a DDL script into statements (executescript would commit the open transaction)."""
    out, buf = [], []
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        buf.append(line)
        if stripped.endswith(";"):
            statement = "\n".join(buf)
            if sqlite3.complete_statement(statement):
                out.append(statement)
                buf = []
    if buf:
        out.append("\n".join(buf))
    return out


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Each segment keeps its own text.

    Version 1 cut segment texts out of the document with ``substr`` on every read; SQLite loads
    the whole document value for that, so a file imported as one document (a CoNLL file, a book)
    made each queue row cost the size of the file and a search over it quadratic (5 s for
    CoNLL-2003 train). The text is filled per document from Python, in linear time.
    """
    conn.execute("ALTER TABLE segments ADD COLUMN text TEXT NOT NULL DEFAULT ''")
    doc_ids = [r[0] for r in conn.execute("SELECT id FROM documents")]
    for doc_id in doc_ids:  # one document text in memory at a time
        text = conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
        rows = conn.execute(
            'SELECT id, start, "end" FROM segments WHERE document_id = ?', (doc_id,)
        ).fetchall()
        conn.executemany(
            "UPDATE segments SET text = ? WHERE id = ?",
            [(text[start:end], seg_id) for seg_id, start, end in rows],
        )


SCHEMA_V3 = """
-- Where a suggestion came from: the model, a pattern/dictionary, or an import (--as-suggestions).
ALTER TABLE suggestions ADD COLUMN source TEXT NOT NULL DEFAULT 'model'
    CHECK (source IN ('model', 'pattern', 'imported'));

-- A rejected suggestion is remembered and never suggested again, by any source.
CREATE TABLE rejected_suggestions (
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    label TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'model',
    created_at TEXT NOT NULL,
    PRIMARY KEY (segment_id, start, "end", label)
);

-- Patterns and dictionaries (spaCy/Prodigy pattern JSON, or a term) that propose suggestions.
CREATE TABLE patterns (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    pattern TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (label, pattern)
);

-- A version whose weights were deleted keeps its metrics (bounded disk use).
ALTER TABLE model_versions ADD COLUMN weights_deleted INTEGER NOT NULL DEFAULT 0;
"""


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Suggestion sources, remembered rejections, patterns, versions without weights."""
    for statement in _statements(SCHEMA_V3):
        conn.execute(statement)


# Migration from version N to N + 1; each runs inside the caller's transaction.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3}
