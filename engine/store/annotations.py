"""Spans, suggestions and segment status: the edits a person makes while labelling."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from engine.errors import ConflictError, NotFoundError, ValidationError
from engine.store.corpus import get_segment, tokenized_by_document
from engine.store.database import Database
from engine.store.labels import get_label
from engine.store.util import now
from engine.types import (
    SEGMENT_SPLITS,
    SEGMENT_STATUSES,
    SPAN_SOURCES,
    LabelledExample,
    Span,
    SpanData,
    Suggestion,
    TrainingSnapshot,
)

_SPAN_SQL = (
    'SELECT s.id, s.document_id, s.segment_id, s.start, s."end", l.name, s.source, s.created_at'
    " FROM spans s JOIN labels l ON l.id = s.label_id"
)


def _span(r: tuple[Any, ...]) -> Span:
    return Span(
        id=r[0],
        document_id=r[1],
        segment_id=r[2],
        start=r[3],
        end=r[4],
        label=r[5],
        source=r[6],
        created_at=r[7],
    )


_SUGGESTION_SQL = (
    'SELECT id, segment_id, start, "end", label, score, model_version, source FROM suggestions'
)

# A suggestion row is inserted only where no accepted span overlaps it and no person rejected
# the same (segment, start, end, label) before: a rejection is remembered for every source.
_INSERT_SUGGESTION_SQL = (
    'INSERT INTO suggestions (segment_id, start, "end", label, score, model_version, source)'
    " SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM spans"
    ' WHERE segment_id = ? AND start < ? AND "end" > ?)'
    " AND NOT EXISTS (SELECT 1 FROM rejected_suggestions"
    ' WHERE segment_id = ? AND start = ? AND "end" = ? AND label = ?)'
)


def _suggestion(r: tuple[Any, ...]) -> Suggestion:
    return Suggestion(
        id=r[0],
        segment_id=r[1],
        start=r[2],
        end=r[3],
        label=r[4],
        score=r[5],
        model_version=r[6],
        source=r[7],
    )


def insert_suggestions(
    conn: sqlite3.Connection, rows: list[tuple[int, int, int, str, float | None, str | None, str]]
) -> None:
    """Insert (segment, start, end, label, score, model_version, source) rows inside the
    caller's transaction, skipping rows that overlap a span or were rejected before."""
    conn.executemany(
        _INSERT_SUGGESTION_SQL, [(*r, r[0], r[2], r[1], r[0], r[1], r[2], r[3]) for r in rows]
    )


class AnnotationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- spans ---------------------------------------------------------------------------------
    def spans(self, segment_id: int) -> list[Span]:
        rows = self.db.execute_read(
            _SPAN_SQL + " WHERE s.segment_id = ? ORDER BY s.start", (segment_id,)
        ).fetchall()
        return [_span(r) for r in rows]

    def get_span(self, span_id: int) -> Span:
        r = self.db.execute_read(_SPAN_SQL + " WHERE s.id = ?", (span_id,)).fetchone()
        if r is None:
            raise NotFoundError(f"no span {span_id}")
        return _span(r)

    def add_span(
        self,
        segment_id: int,
        start: int,
        end: int,
        label: str,
        *,
        source: str = "human",
        span_id: int | None = None,
    ) -> Span:
        """Add a span (document offsets) inside the segment; overlaps are refused.

        ``span_id`` re-inserts a span under its old id (redo of a delete).
        """
        if source not in SPAN_SOURCES:
            raise ValidationError(f"unknown span source {source!r}", field="source")
        with self.db.write() as conn:
            seg = get_segment(conn, segment_id)
            self._check_range(conn, seg.start, seg.end, segment_id, start, end, exclude=None)
            lab = get_label(conn, label)
            cur = conn.execute(
                'INSERT INTO spans (id, document_id, segment_id, start, "end", label_id, source,'
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (span_id, seg.document_id, segment_id, start, end, lab.id, source, now()),
            )
            self._touch(conn, segment_id)
            return _span(conn.execute(_SPAN_SQL + " WHERE s.id = ?", (cur.lastrowid,)).fetchone())

    def restore_span(self, span: Span) -> Span:
        """Re-insert a removed span exactly as it was (undo of a delete, redo of an add)."""
        with self.db.write() as conn:
            seg = get_segment(conn, span.segment_id)
            self._check_range(conn, seg.start, seg.end, seg.id, span.start, span.end, exclude=None)
            lab = get_label(conn, span.label)
            conn.execute(
                'INSERT INTO spans (id, document_id, segment_id, start, "end", label_id, source,'
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    span.id,
                    span.document_id,
                    span.segment_id,
                    span.start,
                    span.end,
                    lab.id,
                    span.source,
                    span.created_at or now(),
                ),
            )
            self._touch(conn, seg.id)
            return self.get_span(span.id)

    def update_span(
        self,
        span_id: int,
        *,
        start: int | None = None,
        end: int | None = None,
        label: str | None = None,
    ) -> Span:
        with self.db.write() as conn:
            old = self.get_span(span_id)
            seg = get_segment(conn, old.segment_id)
            new_start = old.start if start is None else start
            new_end = old.end if end is None else end
            self._check_range(conn, seg.start, seg.end, seg.id, new_start, new_end, exclude=span_id)
            label_id = get_label(conn, label if label is not None else old.label).id
            conn.execute(
                'UPDATE spans SET start = ?, "end" = ?, label_id = ? WHERE id = ?',
                (new_start, new_end, label_id, span_id),
            )
            self._touch(conn, seg.id)
            return self.get_span(span_id)

    def remove_span(self, span_id: int) -> Span:
        with self.db.write() as conn:
            old = self.get_span(span_id)
            conn.execute("DELETE FROM spans WHERE id = ?", (span_id,))
            self._touch(conn, old.segment_id)
            return old

    @staticmethod
    def _check_range(
        conn: sqlite3.Connection,
        seg_start: int,
        seg_end: int,
        segment_id: int,
        start: int,
        end: int,
        exclude: int | None,
    ) -> None:
        if not isinstance(start, int) or not isinstance(end, int) or start >= end:
            raise ValidationError(f"a span needs start < end (got {start}, {end})", field="span")
        if start < seg_start or end > seg_end:
            raise ValidationError(
                f"span [{start}, {end}) is outside its segment [{seg_start}, {seg_end})",
                field="span",
            )
        clash = conn.execute(
            'SELECT s.start, s."end", l.name FROM spans s JOIN labels l ON l.id = s.label_id'
            ' WHERE s.segment_id = ? AND s.start < ? AND s."end" > ? AND s.id IS NOT ?',
            (segment_id, end, start, exclude),
        ).fetchone()
        if clash:
            raise ConflictError(
                f"span [{start}, {end}) overlaps the {clash[2]} span [{clash[0]}, {clash[1]})"
            )

    @staticmethod
    def _touch(conn: sqlite3.Connection, segment_id: int) -> None:
        conn.execute("UPDATE segments SET updated_at = ? WHERE id = ?", (now(), segment_id))

    # -- segment status --------------------------------------------------------------------------
    def set_status(self, segment_id: int, status: str) -> None:
        self._set_segment_field(segment_id, "status", status, SEGMENT_STATUSES)

    def set_split(self, segment_id: int, split: str) -> None:
        self._set_segment_field(segment_id, "split", split, SEGMENT_SPLITS)

    def _set_segment_field(
        self, segment_id: int, column: str, value: str, allowed: tuple[str, ...]
    ) -> None:
        if value not in allowed:
            raise ValidationError(f"unknown {column} {value!r}", field=column)
        with self.db.write() as conn:
            get_segment(conn, segment_id)
            conn.execute(
                f"UPDATE segments SET {column} = ?, updated_at = ? WHERE id = ?",
                (value, now(), segment_id),
            )

    # -- suggestions -----------------------------------------------------------------------------
    def suggestions(self, segment_id: int) -> list[Suggestion]:
        rows = self.db.execute_read(
            _SUGGESTION_SQL + " WHERE segment_id = ? ORDER BY start", (segment_id,)
        ).fetchall()
        return [_suggestion(r) for r in rows]

    def get_suggestion(self, suggestion_id: int) -> Suggestion:
        r = self.db.execute_read(_SUGGESTION_SQL + " WHERE id = ?", (suggestion_id,)).fetchone()
        if r is None:
            raise NotFoundError(f"no suggestion {suggestion_id}")
        return _suggestion(r)

    def accept_suggestion(self, suggestion_id: int) -> Span:
        """Turn a suggestion into a span (source 'model'); unknown labels are added."""
        with self.db.write() as conn:
            sug = self.get_suggestion(suggestion_id)
            if not conn.execute("SELECT 1 FROM labels WHERE name = ?", (sug.label,)).fetchone():
                from engine.store.labels import add_label

                add_label(conn, sug.label)
            span = self.add_span(sug.segment_id, sug.start, sug.end, sug.label, source="model")
            conn.execute("DELETE FROM suggestions WHERE id = ?", (suggestion_id,))
            return span

    def reject_suggestion(self, suggestion_id: int) -> Suggestion:
        """Delete the suggestion and remember the rejection: it is never suggested again."""
        with self.db.write() as conn:
            sug = self.get_suggestion(suggestion_id)
            conn.execute("DELETE FROM suggestions WHERE id = ?", (suggestion_id,))
            conn.execute(
                'INSERT OR IGNORE INTO rejected_suggestions (segment_id, start, "end", label,'
                " source, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (sug.segment_id, sug.start, sug.end, sug.label, sug.source, now()),
            )
            return sug

    def restore_suggestion(self, sug: Suggestion) -> Suggestion:
        """Put a suggestion back (undo of accept or reject); a rejection of it is forgotten."""
        with self.db.write() as conn:
            conn.execute(
                "DELETE FROM rejected_suggestions WHERE segment_id = ? AND start = ?"
                ' AND "end" = ? AND label = ?',
                (sug.segment_id, sug.start, sug.end, sug.label),
            )
            conn.execute(
                'INSERT INTO suggestions (id, segment_id, start, "end", label, score,'
                " model_version, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sug.id,
                    sug.segment_id,
                    sug.start,
                    sug.end,
                    sug.label,
                    sug.score,
                    sug.model_version,
                    sug.source,
                ),
            )
            return sug

    # -- several suggestions in one transaction (one undoable edit) ----------------------------
    def accept_suggestions(self, suggestion_ids: Sequence[int]) -> list[Span]:
        """:meth:`accept_suggestion` for each id, all or nothing."""
        with self.db.write():
            return [self.accept_suggestion(i) for i in suggestion_ids]

    def unaccept_suggestions(
        self, span_ids: Sequence[int], suggestions: Sequence[Suggestion]
    ) -> None:
        """Undo of :meth:`accept_suggestions`: remove the spans, put the suggestions back."""
        with self.db.write():
            for span_id in span_ids:
                self.remove_span(span_id)
            for sug in suggestions:
                self.restore_suggestion(sug)

    def reject_suggestions(self, suggestion_ids: Sequence[int]) -> list[Suggestion]:
        """:meth:`reject_suggestion` for each id, all or nothing."""
        with self.db.write():
            return [self.reject_suggestion(i) for i in suggestion_ids]

    def restore_suggestions(self, suggestions: Sequence[Suggestion]) -> None:
        """:meth:`restore_suggestion` for each, all or nothing."""
        with self.db.write():
            for sug in suggestions:
                self.restore_suggestion(sug)

    def add_rejections(self, rows: list[tuple[int, int, int, str, str]]) -> int:
        """Remember (segment, start, end, label, source) rejections, e.g. from an import;
        returns how many were new."""
        with self.db.write() as conn:
            before = conn.total_changes
            stamp = now()
            conn.executemany(
                'INSERT OR IGNORE INTO rejected_suggestions (segment_id, start, "end", label,'
                " source, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(*r, stamp) for r in rows],
            )
            return conn.total_changes - before

    def rejections(self, segment_id: int) -> list[SpanData]:
        """The rejected (start, end, label) of a segment, in document offsets."""
        rows = self.db.execute_read(
            'SELECT start, "end", label FROM rejected_suggestions WHERE segment_id = ?'
            ' ORDER BY start, "end", label',
            (segment_id,),
        ).fetchall()
        return [SpanData(*r) for r in rows]

    def replace_suggestions(
        self,
        segment_ids: list[int],
        rows: list[tuple[int, int, int, str, float, str | None]],
        *,
        source: str = "model",
    ) -> None:
        """Replace the ``source`` suggestions of ``segment_ids`` with ``rows`` (segment, start,
        end, label, score, model_version), skipping any that overlap an accepted span or were
        rejected before. Suggestions from other sources stay."""
        with self.db.write() as conn:
            conn.executemany(
                "DELETE FROM suggestions WHERE segment_id = ? AND source = ?",
                [(i, source) for i in segment_ids],
            )
            insert_suggestions(conn, [(*r, source) for r in rows])

    # -- training snapshot ------------------------------------------------------------------
    def training_snapshot(self) -> TrainingSnapshot:
        """Labelled segments split into train and eval, read in one transaction."""
        with self.db.read() as conn:
            labels = tuple(
                n for (n,) in conn.execute("SELECT name FROM labels ORDER BY position, id")
            )
            spans: dict[int, list[SpanData]] = {}
            for seg_id, seg_start, start, end, name in conn.execute(
                'SELECT s.segment_id, g.start, s.start, s."end", l.name FROM spans s'
                " JOIN labels l ON l.id = s.label_id JOIN segments g ON g.id = s.segment_id"
                " WHERE g.status = 'labelled' ORDER BY s.segment_id, s.start"
            ):
                spans.setdefault(seg_id, []).append(
                    SpanData(start - seg_start, end - seg_start, name)
                )
            tokenized = tokenized_by_document(conn, "labelled")
            train: list[LabelledExample] = []
            evaluation: list[LabelledExample] = []
            for seg_id, split, text, doc_id in conn.execute(
                "SELECT id, split, text, document_id FROM segments"
                " WHERE status = 'labelled' ORDER BY id"
            ):
                ex = LabelledExample(seg_id, text, tuple(spans.get(seg_id, ())), tokenized[doc_id])
                (evaluation if split == "eval" else train).append(ex)
        return TrainingSnapshot(labels, tuple(train), tuple(evaluation))
