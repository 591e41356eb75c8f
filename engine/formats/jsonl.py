"""spaCy/Prodigy-style JSON Lines: ``{"text": ..., "spans": [{"start", "end", "label"}], ...}``.

One document per line. Keys other than ``text`` and ``spans`` are kept as metadata and written
back on export. A record without a ``spans`` key is unlabelled (``labelled=False``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.types import DocumentData, SpanData

from . import jsonio
from .atomic import atomic_text_writer
from .registry import ReadContext, register_reader, register_writer
from .validate import make_span


def json_records(text: str, ctx: ReadContext) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line, record)`` for each non-blank line of a JSON Lines file.

    Lines are split on ``\\n`` only: U+2028 and friends may appear raw inside JSON strings.
    """
    for i, raw in enumerate(text.split("\n")):
        if not raw.strip():
            continue
        record = jsonio.loads(raw, ctx, i + 1)
        if not isinstance(record, dict):
            raise ctx.error(f"expected a JSON object, got {type(record).__name__}", i + 1)
        if not isinstance(record.get("text"), str):
            what = "no \"text\" key" if "text" not in record else "\"text\" is not a string"
            raise ctx.error(f"record has {what}", i + 1)
        yield i + 1, record


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


@register_reader("jsonl", extensions=(".jsonl", ".ndjson", ".json"), sniff=_sniff,
                 description="JSON Lines with text and spans (spaCy, Prodigy)")
def read_jsonl(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Read spaCy/Prodigy JSON Lines."""
    docs = []
    for line, record in json_records(text, ctx):
        spans: list[SpanData] = []
        raw_spans = record.get("spans")
        if "spans" in record:
            if not isinstance(raw_spans, list):
                raise ctx.error("\"spans\" must be a list", line)
            for j, item in enumerate(raw_spans):
                if not isinstance(item, dict):
                    raise ctx.error(f"span {j + 1} is not an object", line)
                for key in ("start", "end", "label"):
                    if key not in item:
                        raise ctx.error(f"span {j + 1} has no \"{key}\"", line)
                spans.append(make_span(item["start"], item["end"], item["label"], ctx, line,
                                       f"span {j + 1}"))
        metadata = {k: v for k, v in record.items() if k not in ("text", "spans")}
        docs.append(DocumentData(text=record["text"], spans=spans, metadata=metadata, line=line,
                                 labelled="spans" in record))
    return docs


@register_writer("jsonl", extension=".jsonl",
                 description="JSON Lines with text and spans (spaCy, Prodigy)")
def write_jsonl(docs: Iterable[DocumentData], path: Path, labels: Sequence[str]) -> int:
    """One ``{"text", "spans", **metadata}`` line per document; unlabelled ones omit spans."""
    count = 0
    with atomic_text_writer(path) as out:
        for doc in docs:
            record: dict[str, Any] = {"text": doc.text}
            if doc.spans or doc.labelled is not False:
                record["spans"] = [{"start": s.start, "end": s.end, "label": s.label}
                                   for s in doc.spans]
            for key, value in doc.metadata.items():
                if key not in ("text", "spans"):
                    record.setdefault(key, value)
            out.write(jsonio.dumps(record) + "\n")
            count += 1
    return count
