"""Storing imported documents one at a time inside the caller's write transaction.

:class:`DocumentImporter` takes documents as a reader yields them (so a streamed file never
sits in memory whole) and:

- stores a new text with its segments, spans (gold), suggestions and remembered rejections;
- merges a text repeated within the same import into the document stored for it earlier
  (Prodigy writes one record per decision; nothing is dropped), refusing conflicting gold spans;
- skips a text stored by an earlier import (counted as a duplicate), or with ``update=True``
  replaces that document's annotations with the new ones.
"""

from __future__ import annotations

import bisect
import random
import sqlite3

from engine.errors import FormatError
from engine.store.annotations import insert_suggestions
from engine.store.corpus import InsertCounts, check_spans, content_hash, segments_covering
from engine.store.labels import add_label, label_ids
from engine.store.util import dumps, loads, now
from engine.types import DocumentData, SpanData


class DocumentImporter:
    """Insert documents into an open write transaction; see the module docstring."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        mode: str,
        as_suggestions: bool,
        eval_share: float,
        seed: int = 0,
        update: bool = False,
    ) -> None:
        self.conn = conn
        self.mode = mode
        self.as_suggestions = as_suggestions
        self.eval_share = eval_share
        self.seed = seed
        self.update = update
        self.counts = InsertCounts()
        self.labels = label_ids(conn)
        self.stamp = now()
        self.first_new_id = int(
            conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM documents").fetchone()[0]
        )
        self.replaced: set[int] = set()

    def add(self, doc: DocumentData, source: str | None) -> None:
        if self.as_suggestions and doc.spans:
            doc = DocumentData(
                text=doc.text,
                spans=[],
                segments=doc.segments,
                metadata=doc.metadata,
                line=doc.line,
                tokenized=doc.tokenized,
                labelled=False,
                suggestions=list(dict.fromkeys(doc.suggestions + doc.spans)),
                rejections=doc.rejections,
            )
        elif self.as_suggestions:
            doc.labelled = False
        digest = content_hash(doc.text)
        row = self.conn.execute(
            "SELECT id FROM documents WHERE content_hash = ?", (digest,)
        ).fetchone()
        if row is None:
            self._insert(doc, digest, source, None)
            self.counts.documents += 1
            return
        doc_id = int(row[0])
        if doc_id >= self.first_new_id or doc_id in self.replaced:
            old = self._load(doc_id)
            merged = merge_documents(old, doc, source)
            self._delete(doc_id)
            self._insert(merged, digest, source, doc_id, old)
            self.counts.merged += 1
        elif self.update:
            self._delete(doc_id)
            self._insert(doc, digest, source, doc_id)
            self.replaced.add(doc_id)
            self.counts.updated += 1
        else:
            self.counts.duplicates += 1

    # -- storing ---------------------------------------------------------------------------------
    def _label_id(self, name: str) -> int:
        if name not in self.labels:
            self.labels[name] = add_label(self.conn, name).id
            self.counts.new_labels.append(name)
        return self.labels[name]

    def _insert(
        self,
        doc: DocumentData,
        digest: str,
        source: str | None,
        doc_id: int | None,
        old: DocumentData | None = None,
    ) -> None:
        check_spans(doc, source)
        conn = self.conn
        for span in doc.spans + doc.suggestions:
            self._label_id(span.label)
        cur = conn.execute(
            "INSERT INTO documents (id, text, source, metadata, content_hash, tokenized,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, doc.text, source, dumps(doc.metadata), digest, int(doc.tokenized), self.stamp),
        )
        doc_id = int(cur.lastrowid or 0)
        labelled = doc.labelled if doc.labelled is not None else bool(doc.spans)
        status = "labelled" if labelled else "todo"
        rng = random.Random(f"{self.seed}:{digest}")
        first_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM segments").fetchone()[0])
        glue = doc.spans + doc.suggestions + doc.rejections
        seg_ids = [
            (first_id + pos, start, end)
            for pos, (start, end) in enumerate(segments_covering(doc, self.mode, glue))
        ]
        conn.executemany(
            'INSERT INTO segments (id, document_id, position, start, "end", status, split,'
            " created_at, updated_at, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    seg_id,
                    doc_id,
                    seg_id - first_id,
                    start,
                    end,
                    status,
                    "eval" if rng.random() < self.eval_share else "train",
                    self.stamp,
                    self.stamp,
                    doc.text[start:end],
                )
                for seg_id, start, end in seg_ids
            ],
        )
        starts = [s for _, s, _ in seg_ids]

        def seg_of(span: SpanData) -> int:
            return seg_ids[bisect.bisect_right(starts, span.start) - 1][0]

        conn.executemany(
            'INSERT INTO spans (document_id, segment_id, start, "end", label_id, source,'
            " created_at) VALUES (?, ?, ?, ?, ?, 'imported', ?)",
            [
                (doc_id, seg_of(s), s.start, s.end, self.labels[s.label], self.stamp)
                for s in doc.spans
            ],
        )
        conn.executemany(
            'INSERT OR IGNORE INTO rejected_suggestions (segment_id, start, "end", label,'
            " source, created_at) VALUES (?, ?, ?, ?, 'imported', ?)",
            [(seg_of(s), s.start, s.end, s.label, self.stamp) for s in doc.rejections],
        )
        before = conn.total_changes
        insert_suggestions(
            conn,
            [(seg_of(s), s.start, s.end, s.label, None, None, "imported") for s in doc.suggestions],
        )
        kept = conn.total_changes - before
        prev = old or DocumentData(text="")
        self.counts.segments += len(seg_ids) - len(prev.segments or [])
        self.counts.spans += len(doc.spans) - len(prev.spans)
        self.counts.suggestions += kept - len(prev.suggestions)
        self.counts.rejections += len(doc.rejections) - len(prev.rejections)

    def _delete(self, doc_id: int) -> None:
        self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def _load(self, doc_id: int) -> DocumentData:
        conn = self.conn
        text, metadata, tokenized = conn.execute(
            "SELECT text, metadata, tokenized FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        segs = conn.execute(
            'SELECT id, start, "end", status FROM segments WHERE document_id = ? ORDER BY position',
            (doc_id,),
        ).fetchall()
        spans = [
            SpanData(a, b, n)
            for a, b, n in conn.execute(
                'SELECT s.start, s."end", l.name FROM spans s JOIN labels l ON l.id = s.label_id'
                " WHERE s.document_id = ? ORDER BY s.start",
                (doc_id,),
            )
        ]
        ids = [r[0] for r in segs]
        marks = ",".join("?" * len(ids))
        suggestions = [
            SpanData(a, b, n)
            for a, b, n in conn.execute(
                f'SELECT start, "end", label FROM suggestions WHERE segment_id IN ({marks})'
                " ORDER BY start",
                ids,
            )
        ]
        rejections = [
            SpanData(a, b, n)
            for a, b, n in conn.execute(
                'SELECT start, "end", label FROM rejected_suggestions'
                f" WHERE segment_id IN ({marks})"
                " ORDER BY start",
                ids,
            )
        ]
        return DocumentData(
            text=text,
            spans=spans,
            segments=[(r[1], r[2]) for r in segs],
            metadata=loads(metadata),
            tokenized=bool(tokenized),
            labelled=any(r[3] == "labelled" for r in segs),
            suggestions=suggestions,
            rejections=rejections,
        )


def merge_documents(old: DocumentData, new: DocumentData, source: str | None) -> DocumentData:
    """``old`` with what ``new`` (the same text) adds: gold spans (a conflicting, overlapping
    one is refused), suggestions, rejections and metadata keys it lacks."""
    spans = list(old.spans)
    have = set(spans)
    for span in new.spans:
        if span in have:
            continue
        for other in spans:
            if span.start < other.end and other.start < span.end:
                where = f"line {new.line}: " if new.line is not None else ""
                raise FormatError(
                    f"{where}this record repeats an earlier text but its span "
                    f"{span.start}..{span.end} ({span.label}) overlaps the earlier span "
                    f"{other.start}..{other.end} ({other.label}); resolve the conflict",
                    path=source,
                    line=new.line,
                )
        spans.append(span)
        have.add(span)
    suggestions = list(dict.fromkeys(old.suggestions + new.suggestions))
    rejections = list(dict.fromkeys(old.rejections + new.rejections))
    metadata = dict(old.metadata)
    for key, value in new.metadata.items():
        metadata.setdefault(key, value)
    labelled = bool(old.labelled) or bool(new.labelled if new.labelled is not None else new.spans)
    segments = old.segments if old.segments is not None else new.segments
    return DocumentData(
        text=old.text,
        spans=sorted(spans, key=lambda s: (s.start, s.end)),
        segments=segments,
        metadata=metadata,
        line=old.line,
        tokenized=old.tokenized or new.tokenized,
        labelled=labelled,
        suggestions=suggestions,
        rejections=rejections,
    )
