"""Find a text across the project and label every occurrence at once ("label all").

Matches are whole-word and token-aligned (:mod:`engine.text.matcher`). A match that would
overlap an accepted span is skipped and counted; one that is already a span of the same label
is counted as already labelled. Segments keep their status unless ``mark_labelled``. The
result lists what was written so the desktop can undo it as one command.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.store.corpus import get_segment
from engine.store.labels import get_label
from engine.store.util import now
from engine.text.matcher import Phrase, phrase_matches
from engine.types import Span, Suggestion

_SPAN_COLUMNS = 'id, document_id, segment_id, start, "end", label_id, source, created_at'
_SUGGESTION_COLUMNS = (
    'SELECT id, segment_id, start, "end", label, score, model_version, source FROM suggestions'
)


@dataclass(frozen=True)
class Occurrence:
    """One match in document offsets; ``existing`` says what is there already:
    ``None`` (free), ``"same"`` (a span of that label) or the label it would overlap."""

    segment_id: int
    document_id: int
    start: int
    end: int
    status: str
    text: str
    existing: str | None = None


@dataclass(frozen=True)
class LabelAllResult:
    """What :func:`label_occurrences` did (and what undo needs to take it back)."""

    matches: int
    labelled: int
    already_labelled: int
    skipped_overlap: int
    segments: int
    spans: tuple[Span, ...] = ()
    old_statuses: tuple[tuple[int, str], ...] = field(default=())
    removed_suggestions: tuple[Suggestion, ...] = ()  # settled by the new spans

    def counts(self) -> dict[str, int]:
        return {
            "matches": self.matches,
            "labelled": self.labelled,
            "already_labelled": self.already_labelled,
            "skipped_overlap": self.skipped_overlap,
            "segments": self.segments,
        }


def _candidates(
    conn: sqlite3.Connection, text: str, ignore_case: bool, segment_ids: Sequence[int] | None
) -> list[tuple[int, int, int, str, str]]:
    """(id, document_id, start, status, text) of segments that may hold ``text``."""
    sql = "SELECT id, document_id, start, status, text FROM segments WHERE "
    if ignore_case:
        # SQLite's lower() folds ASCII only: prefilter in SQL for ASCII phrases alone
        sql += "instr(lower(text), ?) > 0" if text.isascii() else "? IS NOT NULL"
        params: list[object] = [text.lower()]
    else:
        sql += "instr(text, ?) > 0"
        params = [text]
    if segment_ids is not None:
        ids = [int(i) for i in segment_ids]
        sql += f" AND id IN ({','.join('?' * len(ids))})" if ids else " AND 0"
        params += ids
    return conn.execute(sql + " ORDER BY document_id, position", params).fetchall()


def _tokenized(conn: sqlite3.Connection, doc_ids: set[int]) -> dict[int, bool]:
    if not doc_ids:
        return {}
    ids = sorted(doc_ids)
    return {
        d: bool(t)
        for d, t in conn.execute(
            f"SELECT id, tokenized FROM documents WHERE id IN ({','.join('?' * len(ids))})", ids
        )
    }


def _spans_of(
    conn: sqlite3.Connection, seg_ids: list[int]
) -> dict[int, list[tuple[int, int, str]]]:
    out: dict[int, list[tuple[int, int, str]]] = {}
    for lo in range(0, len(seg_ids), 500):
        chunk = seg_ids[lo : lo + 500]
        for seg, start, end, name in conn.execute(
            'SELECT s.segment_id, s.start, s."end", l.name FROM spans s JOIN labels l'
            f" ON l.id = s.label_id WHERE s.segment_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            out.setdefault(seg, []).append((start, end, name))
    return out


def find_occurrences(
    conn: sqlite3.Connection,
    text: str,
    *,
    ignore_case: bool = False,
    label: str | None = None,
    segment_ids: Sequence[int] | None = None,
) -> list[Occurrence]:
    """Every whole-word occurrence of ``text`` in the project (or in ``segment_ids``).

    ``existing`` is ``"same"`` where a span of ``label`` covers exactly that match, else the
    label of an overlapping span, else None.
    """
    Phrase.parse(text)  # ValidationError for a text without words
    rows = _candidates(conn, text, ignore_case, segment_ids)
    tokenized = _tokenized(conn, {r[1] for r in rows})
    hits: list[tuple[int, int, int, int, str, str]] = []
    for seg_id, doc_id, seg_start, status, seg_text in rows:
        for start, end in phrase_matches(
            seg_text, text, ignore_case=ignore_case, tokenized=tokenized.get(doc_id, False)
        ):
            hits.append(
                (seg_id, doc_id, seg_start + start, seg_start + end, status, seg_text[start:end])
            )
    spans = _spans_of(conn, sorted({h[0] for h in hits}))
    out = []
    for seg_id, doc_id, start, end, status, matched in hits:
        existing = None
        for s, e, name in spans.get(seg_id, ()):
            if s == start and e == end and name == label:
                existing = "same"
                break
            if s < end and e > start:
                existing = name
        out.append(Occurrence(seg_id, doc_id, start, end, status, matched, existing))
    return out


def label_occurrences(
    conn: sqlite3.Connection,
    text: str,
    label: str,
    *,
    ignore_case: bool = False,
    mark_labelled: bool = False,
    segment_ids: Sequence[int] | None = None,
) -> LabelAllResult:
    """Add a human span of ``label`` on every free occurrence (caller holds a write txn)."""
    lab = get_label(conn, label)
    found = find_occurrences(
        conn, text, ignore_case=ignore_case, label=label, segment_ids=segment_ids
    )
    free = [o for o in found if o.existing is None]
    stamp = now()
    new_ids = []
    for o in free:
        cur = conn.execute(
            'INSERT INTO spans (document_id, segment_id, start, "end", label_id, source,'
            " created_at) VALUES (?, ?, ?, ?, ?, 'human', ?)",
            (o.document_id, o.segment_id, o.start, o.end, lab.id, stamp),
        )
        new_ids.append(int(cur.lastrowid or 0))
    touched = sorted({o.segment_id for o in free})
    old_statuses: list[tuple[int, str]] = []
    if mark_labelled:
        old_statuses = [
            (o.segment_id, o.status)
            for o in {o.segment_id: o for o in free}.values()
            if o.status != "labelled"
        ]
        conn.executemany(
            "UPDATE segments SET status = 'labelled' WHERE id = ?", [(s,) for s, _ in old_statuses]
        )
    conn.executemany(
        "UPDATE segments SET updated_at = ? WHERE id = ?", [(stamp, s) for s in touched]
    )
    # a suggestion under a new span is settled by it (undo puts it back)
    removed = [
        Suggestion(*r)
        for o in free
        for r in conn.execute(
            _SUGGESTION_COLUMNS + ' WHERE segment_id = ? AND start < ? AND "end" > ?',
            (o.segment_id, o.end, o.start),
        )
    ]
    conn.executemany("DELETE FROM suggestions WHERE id = ?", [(x.id,) for x in removed])
    spans = tuple(
        Span(i, o.document_id, o.segment_id, o.start, o.end, label, "human", stamp)
        for i, o in zip(new_ids, free, strict=True)
    )
    return LabelAllResult(
        matches=len(found),
        labelled=len(free),
        already_labelled=sum(o.existing == "same" for o in found),
        skipped_overlap=sum(o.existing not in (None, "same") for o in found),
        segments=len(touched),
        spans=spans,
        old_statuses=tuple(old_statuses),
        removed_suggestions=tuple({x.id: x for x in removed}.values()),
    )


def remove_spans(
    conn: sqlite3.Connection,
    spans: Sequence[Span],
    statuses: Sequence[tuple[int, str]] = (),
    suggestions: Sequence[Suggestion] = (),
) -> None:
    """Undo of :func:`label_occurrences`: delete those spans, put statuses and the settled
    suggestions back."""
    conn.executemany("DELETE FROM spans WHERE id = ?", [(s.id,) for s in spans])
    conn.executemany(
        "UPDATE segments SET status = ?, updated_at = ? WHERE id = ?",
        [(status, now(), seg) for seg, status in statuses],
    )
    conn.executemany(
        'INSERT OR IGNORE INTO suggestions (id, segment_id, start, "end", label, score,'
        " model_version, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (x.id, x.segment_id, x.start, x.end, x.label, x.score, x.model_version, x.source)
            for x in suggestions
        ],
    )


def restore_spans(
    conn: sqlite3.Connection,
    spans: Sequence[Span],
    mark_labelled: Sequence[int] = (),
    suggestions: Sequence[Suggestion] = (),
) -> None:
    """Redo of :func:`label_occurrences`: re-insert the spans under their ids."""
    conn.executemany("DELETE FROM suggestions WHERE id = ?", [(x.id,) for x in suggestions])
    for s in spans:
        seg = get_segment(conn, s.segment_id)
        conn.execute(
            f"INSERT INTO spans ({_SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.id,
                seg.document_id,
                s.segment_id,
                s.start,
                s.end,
                get_label(conn, s.label).id,
                s.source,
                s.created_at or now(),
            ),
        )
    conn.executemany(
        "UPDATE segments SET status = 'labelled', updated_at = ? WHERE id = ?",
        [(now(), seg) for seg in mark_labelled],
    )


# -- helpers for the review list (engine.training.review) ------------------------------------


def segment_documents(conn: sqlite3.Connection) -> dict[int, int]:
    """``segment id -> document id`` of the labelled segments."""
    return dict(
        conn.execute("SELECT id, document_id FROM segments WHERE status = 'labelled'").fetchall()
    )


def still_unchanged(conn: sqlite3.Connection, ids: Sequence[int], stamp: str) -> set[int]:
    """Those of ``ids`` still labelled and not edited since ``stamp`` (an ISO time)."""
    out: set[int] = set()
    ids = [int(i) for i in ids]
    for lo in range(0, len(ids), 500):
        chunk = ids[lo : lo + 500]
        out |= {
            r[0]
            for r in conn.execute(
                f"SELECT id FROM segments WHERE id IN ({','.join('?' * len(chunk))})"
                " AND status = 'labelled' AND updated_at <= ?",
                (*chunk, stamp),
            )
        }
    return out
