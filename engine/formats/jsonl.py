"""spaCy/Prodigy-style JSON Lines: ``{"text": ..., "spans": [{"start", "end", "label"}], ...}``.

One document per line, read one line at a time from the file. Keys other than ``text`` and
``spans`` are kept as metadata and written back on export. A record without a ``spans`` key is
unlabelled (``labelled=False``).

Prodigy's ``answer``: from manual views (``ner_manual``, ``spans_manual``…) ``accept`` is gold,
``reject`` and ``ignore`` records keep their text unlabelled and their spans are counted, never
stored as labels. Binary decisions (``"_view_id": "ner"``, from ``ner.teach``: one suggested span
per record) are partial: an accepted span becomes a suggestion to review (the segment stays to
do), a rejected span a remembered rejection (never suggested again), an ignored one is counted.
Records of the same text are merged by the importer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.types import DocumentData, SpanData

from . import jsonio
from .atomic import atomic_text_writer
from .registry import ReadContext, add_path_reader, register_reader, register_writer
from .source import iter_lines
from .validate import make_span


def json_objects(
    lines: Iterable[tuple[int, str]], ctx: ReadContext
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line, object)`` for each non-blank ``(line, text)``; "empty file" if none."""
    seen = False
    for n, raw in lines:
        if not raw.strip():
            continue
        seen = True
        record = jsonio.loads(raw, ctx, n)
        if not isinstance(record, dict):
            raise ctx.error(f"expected a JSON object, got {type(record).__name__}", n)
        yield n, record
    if not seen:
        raise ctx.error("empty file")


def text_records(
    lines: Iterable[tuple[int, str]], ctx: ReadContext
) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`json_objects` that each have a string ``text``."""
    for n, record in json_objects(lines, ctx):
        if not isinstance(record.get("text"), str):
            what = 'no "text" key' if "text" not in record else '"text" is not a string'
            raise ctx.error(f"record has {what}", n)
        yield n, record


def text_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of a whole file's text, split on ``\\n`` only (U+2028 and friends may
    appear raw inside JSON strings)."""
    return enumerate(text.split("\n"), 1)


def file_lines(path: Path, ctx: ReadContext) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of a file, read one line at a time (regular files, capped)."""
    return iter_lines(path, ctx.options.get("max_bytes"))


def json_records(text: str, ctx: ReadContext) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line, record)`` for each non-blank line of a JSON Lines text."""
    return text_records(text_lines(text), ctx)


def head_records(head: str, limit: int = 50) -> list[dict[str, Any]]:
    """The complete JSON Lines records at the start of ``head`` (the file's first bytes).

    Stops at the first line that is not a JSON object with a string ``text``; the last line
    may be cut short by the head, so it is only used when it parses.
    """
    out: list[dict[str, Any]] = []
    for raw in head.split("\n"):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            break
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            break
        out.append(record)
        if len(out) >= limit:
            break
    return out


def _sniff(head: str) -> float:
    records = head_records(head)
    if not records:
        return 0.0
    return 0.9 if any(isinstance(r.get("spans"), list) for r in records) else 0.6


def _spans(record: dict[str, Any], ctx: ReadContext, line: int) -> list[SpanData]:
    spans: list[SpanData] = []
    raw_spans = record.get("spans")
    if "spans" in record:
        if not isinstance(raw_spans, list):
            raise ctx.error('"spans" must be a list', line)
        for j, item in enumerate(raw_spans):
            if not isinstance(item, dict):
                raise ctx.error(f"span {j + 1} is not an object", line)
            for key in ("start", "end", "label"):
                if key not in item:
                    raise ctx.error(f'span {j + 1} has no "{key}"', line)
            spans.append(
                make_span(item["start"], item["end"], item["label"], ctx, line, f"span {j + 1}")
            )
    return spans


BINARY_VIEWS = ("ner",)


def _document(line: int, record: dict[str, Any], ctx: ReadContext) -> DocumentData:
    spans = _spans(record, ctx, line)
    metadata = {k: v for k, v in record.items() if k not in ("text", "spans")}
    doc = DocumentData(
        text=record["text"], spans=spans, metadata=metadata, line=line, labelled="spans" in record
    )
    answer = record.get("answer")
    if answer is None:
        return doc
    if answer not in ("accept", "reject", "ignore"):
        raise ctx.error(f'"answer" must be accept, reject or ignore, got {answer!r}', line)
    if record.get("_view_id") in BINARY_VIEWS:
        doc.spans, doc.labelled = [], False
        if answer == "accept":
            doc.suggestions = spans
            ctx.note(
                "accepted spans of binary (ner.teach) decisions kept as suggestions to "
                "review, not as complete labels",
                len(spans),
            )
        elif answer == "reject":
            doc.rejections = spans
            ctx.note("rejected spans of binary decisions remembered as rejections", len(spans))
        else:
            ctx.note("ignored binary decisions not kept")
    elif answer != "accept":
        doc.spans, doc.labelled = [], False
        ctx.note(f"records answered {answer!r}: text kept unlabelled, spans not stored as labels")
    return doc


@register_reader(
    "jsonl",
    extensions=(".jsonl", ".ndjson", ".json"),
    sniff=_sniff,
    description="JSON Lines with text and spans (spaCy, Prodigy)",
)
def read_jsonl(text: str, ctx: ReadContext) -> Iterator[DocumentData]:
    """Read spaCy/Prodigy JSON Lines."""
    for line, record in json_records(text, ctx):
        yield _document(line, record, ctx)


@add_path_reader("jsonl")
def stream_jsonl(path: Path, ctx: ReadContext) -> Iterator[DocumentData]:
    """Read spaCy/Prodigy JSON Lines from ``path`` one line at a time."""
    for line, record in text_records(file_lines(path, ctx), ctx):
        yield _document(line, record, ctx)


@register_writer(
    "jsonl", extension=".jsonl", description="JSON Lines with text and spans (spaCy, Prodigy)"
)
def write_jsonl(docs: Iterable[DocumentData], path: Path, labels: Sequence[str]) -> int:
    """One ``{"text", "spans", **metadata}`` line per document; unlabelled ones omit spans."""
    count = 0
    with atomic_text_writer(path) as out:
        for doc in docs:
            record: dict[str, Any] = {"text": doc.text}
            if doc.spans or doc.labelled is not False:
                record["spans"] = [
                    {"start": s.start, "end": s.end, "label": s.label} for s in doc.spans
                ]
            for key, value in doc.metadata.items():
                if key not in ("text", "spans"):
                    record.setdefault(key, value)
            out.write(jsonio.dumps(record) + "\n")
            count += 1
    return count
