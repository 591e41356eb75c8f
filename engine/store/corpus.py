"""Documents and segments: storing imported documents, listing segments, statistics."""

from __future__ import annotations

import bisect
import hashlib
import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import FormatError, NotFoundError, ValidationError
from engine.store.labels import add_label, label_ids
from engine.store.util import dumps, loads, now
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


def _segments_covering(
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

    Duplicates (same text as a stored document) are counted and skipped. Unknown span labels
    are added to the label set. Raises FormatError naming ``source`` and the record's line.
    """
    counts = InsertCounts()
    labels = label_ids(conn)
    stamp = now()
    seen: set[str] = set()
    for doc in docs:
        digest = content_hash(doc.text)
        if digest in seen or conn.execute(
            "SELECT 1 FROM documents WHERE content_hash = ?", (digest,)
        ).fetchone():
            counts.duplicates += 1
            continue
        seen.add(digest)
        _check_spans(doc, source)
        for span in doc.spans:
            if span.label not in labels:
                labels[span.label] = add_label(conn, span.label).id
                counts.new_labels.append(span.label)
        cur = conn.execute(
            "INSERT INTO documents (text, source, metadata, content_hash, tokenized, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (doc.text, source, dumps(doc.metadata), digest, int(doc.tokenized), stamp),
        )
        doc_id = int(cur.lastrowid or 0)
        counts.documents += 1
        labelled = doc.labelled if doc.labelled is not None else bool(doc.spans)
        status = "labelled" if labelled and not as_suggestions else "todo"
        rng = random.Random(f"{seed}:{digest}")
        first_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM segments")
                       .fetchone()[0])
        seg_ids = [(first_id + pos, start, end) for pos, (start, end)
                   in enumerate(_segments_covering(doc, mode, doc.spans))]
        conn.executemany(
            'INSERT INTO segments (id, document_id, position, start, "end", status, split,'
            " created_at, updated_at, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(seg_id, doc_id, seg_id - first_id, start, end, status,
              "eval" if rng.random() < eval_share else "train", stamp, stamp, doc.text[start:end])
             for seg_id, start, end in seg_ids])
        counts.segments += len(seg_ids)
        starts = [s for _, s, _ in seg_ids]
        rows = []
        for span in doc.spans:
            seg_id = seg_ids[bisect.bisect_right(starts, span.start) - 1][0]
            rows.append((doc_id, seg_id, span.start, span.end, labels[span.label]))
        if as_suggestions:
            conn.executemany(
                'INSERT INTO suggestions (segment_id, start, "end", label, score, model_version,'
                " source) VALUES (?, ?, ?, ?, NULL, NULL, 'imported')",
                [(r[1], r[2], r[3], span.label) for r, span in zip(rows, doc.spans, strict=True)],
            )
        else:
            conn.executemany(
                'INSERT INTO spans (document_id, segment_id, start, "end", label_id, source,'
                " created_at) VALUES (?, ?, ?, ?, ?, 'imported', ?)",
                [(*r, stamp) for r in rows],
            )
        counts.spans += len(rows)
    return counts


def _check_spans(doc: DocumentData, source: str | None) -> None:
    last_end = -1
    for span in sorted(doc.spans, key=lambda s: (s.start, s.end)):
        if not (0 <= span.start < span.end <= len(doc.text)):
            raise FormatError(
                f"span [{span.start}, {span.end}) {span.label!r} is outside the text "
                f"(length {len(doc.text)}) or empty", path=source, line=doc.line)
        if span.start < last_end:
            raise FormatError(f"span [{span.start}, {span.end}) {span.label!r} overlaps another "
                              "span (flat NER allows no overlaps)", path=source, line=doc.line)
        last_end = span.end


# ---- reading -----------------------------------------------------------------------------------

_SEGMENT_COLUMNS = (
    's.id, s.document_id, s.position, s.start, s."end", s.status, s.split, s.text'
)


def tokenized_by_document(conn: sqlite3.Connection, status: str) -> dict[int, bool]:
    """``document id -> tokenized`` for the documents holding ``status`` segments.

    Read once per document, never joined per segment: ``tokenized`` is stored after the
    document text, so reading it walks the text's overflow pages.
    """
    return {doc_id: bool(flag) for doc_id, flag in conn.execute(
        "SELECT id, tokenized FROM documents WHERE id IN (SELECT DISTINCT document_id"
        " FROM segments WHERE status = ?)", (status,))}


def segment_from_row(r: Sequence[Any]) -> Segment:
    return Segment(id=r[0], document_id=r[1], position=r[2], start=r[3], end=r[4], status=r[5],
                   split=r[6], text=r[7])


def get_segment(conn: sqlite3.Connection, segment_id: int) -> Segment:
    r = conn.execute(
        f"SELECT {_SEGMENT_COLUMNS} FROM segments s WHERE s.id = ?", (segment_id,)).fetchone()
    if r is None:
        raise NotFoundError(f"no segment {segment_id}")
    return segment_from_row(r)


def segment_filter_sql(
    status: str | None = None, split: str | None = None, search: str | None = None,
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
        (*params, limit, offset)).fetchall()
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
            " GROUP BY l.id ORDER BY l.position, l.id")
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
        " JOIN labels l ON l.id = s.label_id ORDER BY s.document_id, s.start"):
        spans.setdefault(doc_id, []).append(SpanData(start, end, label))
    segments: dict[int, list[tuple[int, int, str]]] = {}
    for doc_id, start, end, status in conn.execute(
        'SELECT document_id, start, "end", status FROM segments ORDER BY document_id, position'):
        segments.setdefault(doc_id, []).append((start, end, status))
    out = []
    for doc_id, text, metadata, tokenized in conn.execute(
        "SELECT id, text, metadata, tokenized FROM documents ORDER BY id"):
        segs = segments.get(doc_id, [])
        labelled = any(st == "labelled" for _, _, st in segs)
        if only_labelled and not labelled:
            continue
        out.append(DocumentData(
            text=text, spans=spans.get(doc_id, []), segments=[(s, e) for s, e, _ in segs],
            metadata=loads(metadata), tokenized=bool(tokenized), labelled=labelled))
    return out
