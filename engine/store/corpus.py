"""Documents and segments: storing imported documents, listing segments, statistics."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import FormatError, NotFoundError, StoreError, ValidationError
from engine.store.util import loads
from engine.text.segment import segment_text
from engine.types import SEGMENT_SPLITS, SEGMENT_STATUSES, DocumentData, Segment, SpanData


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class InsertCounts:
    documents: int = 0
    segments: int = 0
    spans: int = 0
    duplicates: int = 0
    new_labels: list[str] = field(default_factory=list)
    suggestions: int = 0
    rejections: int = 0
    merged: int = 0
    updated: int = 0


def segments_covering(
    doc: DocumentData, mode: str, spans: Sequence[SpanData]
) -> list[tuple[int, int]]:
    """Segment boundaries for ``doc``, merged wherever a span would cross a boundary.

    A span that starts or ends in the gap between two segments widens its segment to cover it.
    """
    segs = list(doc.segments) if doc.segments is not None else segment_text(doc.text, mode)
    if not segs and doc.text.strip():
        segs = segment_text(doc.text, "document")
    if not spans:
        return segs
    # merge by sweeping sorted intervals: segments and spans both, spans glue what they touch
    glue = sorted((s.start, s.end) for s in spans)
    out: list[tuple[int, int]] = []
    gi = 0
    for start, end in segs:
        # spans starting before this segment's end extend it to their end
        while gi < len(glue) and glue[gi][0] < end:
            start = min(start, glue[gi][0])
            end = max(end, glue[gi][1])
            gi += 1
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
        # a span reaching into the following segments keeps merging on the next iterations
    while gi < len(glue):  # spans after the last segment
        start, end = glue[gi]
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
        gi += 1
    return out


def insert_documents(
    conn: sqlite3.Connection,
    docs: Sequence[DocumentData],
    *,
    source: str | None,
    mode: str,
    as_suggestions: bool,
    eval_share: float,
    seed: int = 0,
) -> InsertCounts:
    """Insert documents with their segments and spans (caller holds the write transaction).

    A text repeated within ``docs`` is merged into one document; a text stored before is
    counted as a duplicate and skipped. Unknown span labels are added to the label set. Raises
    FormatError naming ``source`` and the record's line. See
    :class:`engine.store.imports.DocumentImporter`.
    """
    from engine.store.imports import DocumentImporter

    importer = DocumentImporter(
        conn, mode=mode, as_suggestions=as_suggestions, eval_share=eval_share, seed=seed
    )
    for doc in docs:
        importer.add(doc, source)
    return importer.counts


def check_spans(doc: DocumentData, source: str | None) -> None:
    last_end = -1
    for span in sorted(doc.spans, key=lambda s: (s.start, s.end)):
        if not (0 <= span.start < span.end <= len(doc.text)):
            raise FormatError(
                f"span [{span.start}, {span.end}) {span.label!r} is outside the text "
                f"(length {len(doc.text)}) or empty",
                path=source,
                line=doc.line,
            )
        if span.start < last_end:
            raise FormatError(
                f"span [{span.start}, {span.end}) {span.label!r} overlaps another "
                "span (flat NER allows no overlaps)",
                path=source,
                line=doc.line,
            )
        last_end = span.end


# ---- reading -----------------------------------------------------------------------------------

_SEGMENT_COLUMNS = 's.id, s.document_id, s.position, s.start, s."end", s.status, s.split, s.text'


def tokenized_by_document(conn: sqlite3.Connection, status: str) -> dict[int, bool]:
    """``document id -> tokenized`` for the documents holding ``status`` segments.

    Read once per document, never joined per segment: ``tokenized`` is stored after the
    document text, so reading it walks the text's overflow pages.
    """
    return {
        doc_id: bool(flag)
        for doc_id, flag in conn.execute(
            "SELECT id, tokenized FROM documents WHERE id IN (SELECT DISTINCT document_id"
            " FROM segments WHERE status = ?)",
            (status,),
        )
    }


def segment_from_row(r: Sequence[Any]) -> Segment:
    return Segment(
        id=r[0],
        document_id=r[1],
        position=r[2],
        start=r[3],
        end=r[4],
        status=r[5],
        split=r[6],
        text=r[7],
    )


def get_segment(conn: sqlite3.Connection, segment_id: int) -> Segment:
    r = conn.execute(
        f"SELECT {_SEGMENT_COLUMNS} FROM segments s WHERE s.id = ?", (segment_id,)
    ).fetchone()
    if r is None:
        raise NotFoundError(f"no segment {segment_id}")
    return segment_from_row(r)


def has_segments(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM segments LIMIT 1").fetchone() is not None


def document_text(conn: sqlite3.Connection, document_id: int) -> str:
    r = conn.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()
    if r is None:
        raise StoreError(f"no document {document_id}")
    return str(r[0])


def neighbours(conn: sqlite3.Connection, seg: Segment, before: int, after: int) -> list[Segment]:
    """``seg`` with up to ``before``/``after`` neighbours of the same document, in order."""
    rows = conn.execute(
        f"SELECT {_SEGMENT_COLUMNS} FROM segments s WHERE s.document_id = ?"
        " AND s.position BETWEEN ? AND ? ORDER BY s.position",
        (seg.document_id, seg.position - before, seg.position + after),
    ).fetchall()
    return [segment_from_row(r) for r in rows]


def segment_filter_sql(
    status: str | None = None,
    split: str | None = None,
    search: str | None = None,
    document_id: int | None = None,
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if status is not None:
        if status not in SEGMENT_STATUSES:
            raise ValidationError(f"unknown status {status!r}", field="status")
        clauses.append("s.status = ?")
        params.append(status)
    if split is not None:
        clauses.append("s.split = ?")
        params.append(split)
    if document_id is not None:
        clauses.append("s.document_id = ?")
        params.append(document_id)
    if search:
        clauses.append("instr(lower(s.text), ?) > 0")
        params.append(search.lower())
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params


def list_segments(
    conn: sqlite3.Connection, *, offset: int = 0, limit: int = 100, **filters: object
) -> list[Segment]:
    where, params = segment_filter_sql(**filters)  # type: ignore[arg-type]
    rows = conn.execute(
        f"SELECT {_SEGMENT_COLUMNS} FROM segments s"
        f"{where} ORDER BY s.document_id, s.position LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [segment_from_row(r) for r in rows]


def count_segments(conn: sqlite3.Connection, **filters: object) -> int:
    where, params = segment_filter_sql(**filters)  # type: ignore[arg-type]
    return int(conn.execute(f"SELECT COUNT(*) FROM segments s{where}", params).fetchone()[0])


def stats(conn: sqlite3.Connection) -> dict[str, Any]:
    by_status = dict.fromkeys(SEGMENT_STATUSES, 0)
    for status, n in conn.execute("SELECT status, COUNT(*) FROM segments GROUP BY status"):
        by_status[status] = n
    by_split = dict.fromkeys(SEGMENT_SPLITS, 0)
    for split, n in conn.execute("SELECT split, COUNT(*) FROM segments GROUP BY split"):
        by_split[split] = n
    spans_by_label = {
        name: n
        for name, n in conn.execute(
            "SELECT l.name, COUNT(s.id) FROM labels l LEFT JOIN spans s ON s.label_id = l.id"
            " GROUP BY l.id ORDER BY l.position, l.id"
        )
    }
    return {
        "documents": conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
        "segments": sum(by_status.values()),
        "segments_by_status": by_status,
        "segments_by_split": by_split,
        "spans": sum(spans_by_label.values()),
        "spans_by_label": spans_by_label,
        "suggestions": conn.execute("SELECT COUNT(*) FROM suggestions").fetchone()[0],
    }


def documents_for_export(
    conn: sqlite3.Connection, *, only_labelled: bool = False
) -> list[DocumentData]:
    """Every document with its accepted spans and segment boundaries, in import order."""
    spans: dict[int, list[SpanData]] = {}
    for doc_id, start, end, label in conn.execute(
        'SELECT s.document_id, s.start, s."end", l.name FROM spans s'
        " JOIN labels l ON l.id = s.label_id ORDER BY s.document_id, s.start"
    ):
        spans.setdefault(doc_id, []).append(SpanData(start, end, label))
    segments: dict[int, list[tuple[int, int, str]]] = {}
    for doc_id, start, end, status in conn.execute(
        'SELECT document_id, start, "end", status FROM segments ORDER BY document_id, position'
    ):
        segments.setdefault(doc_id, []).append((start, end, status))
    out = []
    for doc_id, text, metadata, tokenized in conn.execute(
        "SELECT id, text, metadata, tokenized FROM documents ORDER BY id"
    ):
        segs = segments.get(doc_id, [])
        labelled = any(st == "labelled" for _, _, st in segs)
        if only_labelled and not labelled:
            continue
        out.append(
            DocumentData(
                text=text,
                spans=spans.get(doc_id, []),
                segments=[(s, e) for s, e, _ in segs],
                metadata=loads(metadata),
                tokenized=bool(tokenized),
                labelled=labelled,
            )
        )
    return out
