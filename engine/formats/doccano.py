"""doccano JSON Lines: ``{"text", "label": [[start, end, "LABEL"], ...]}``.

Newer doccano exports ``"entities": [{"start_offset", "end_offset", "label"}, ...]``; both are
read, the classic ``label`` form is written. Other keys are kept as metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.types import DocumentData, SpanData

from . import jsonio
from .atomic import atomic_text_writer
from .jsonl import file_lines, head_records, json_records, text_records
from .registry import ReadContext, add_path_reader, register_reader, register_writer
from .validate import make_span

_SPAN_KEYS = ("label", "entities")


def _sniff(head: str) -> float:
    # Unlabelled records carry neither key, so look past the first record.
    for record in head_records(head):
        if isinstance(record.get("entities"), list) or isinstance(record.get("label"), list):
            return 0.95
    return 0.0


def _spans(record: dict[str, Any], ctx: ReadContext, line: int) -> list[SpanData]:
    spans = []
    if "label" in record:
        items = record["label"]
        if not isinstance(items, list):
            raise ctx.error('"label" must be a list of [start, end, label]', line)
        for j, item in enumerate(items):
            if not isinstance(item, list) or len(item) != 3:
                raise ctx.error(f"label {j + 1} must be [start, end, label]", line)
            spans.append(make_span(item[0], item[1], item[2], ctx, line, f"label {j + 1}"))
    if "entities" in record:
        items = record["entities"]
        if not isinstance(items, list):
            raise ctx.error('"entities" must be a list', line)
        for j, item in enumerate(items):
            if not isinstance(item, dict):
                raise ctx.error(f"entity {j + 1} is not an object", line)
            for key in ("start_offset", "end_offset", "label"):
                if key not in item:
                    raise ctx.error(f'entity {j + 1} has no "{key}"', line)
            spans.append(
                make_span(
                    item["start_offset"],
                    item["end_offset"],
                    item["label"],
                    ctx,
                    line,
                    f"entity {j + 1}",
                )
            )
    return spans


def _documents(
    records: Iterator[tuple[int, dict[str, Any]]], ctx: ReadContext
) -> Iterator[DocumentData]:
    for line, record in records:
        metadata = {k: v for k, v in record.items() if k != "text" and k not in _SPAN_KEYS}
        labelled = any(k in record for k in _SPAN_KEYS)
        yield DocumentData(
            text=record["text"],
            spans=_spans(record, ctx, line),
            metadata=metadata,
            line=line,
            labelled=labelled,
        )


@register_reader(
    "doccano",
    extensions=(".jsonl", ".json"),
    sniff=_sniff,
    description="doccano JSON Lines (label or entities)",
)
def read_doccano(text: str, ctx: ReadContext) -> Iterator[DocumentData]:
    """Read doccano sequence-labelling JSON Lines."""
    return _documents(json_records(text, ctx), ctx)


@add_path_reader("doccano")
def stream_doccano(path: Path, ctx: ReadContext) -> Iterator[DocumentData]:
    """Read doccano JSON Lines from ``path`` one line at a time."""
    return _documents(text_records(file_lines(path, ctx), ctx), ctx)


@register_writer("doccano", extension=".jsonl", description="doccano JSON Lines")
def write_doccano(docs: Iterable[DocumentData], path: Path, labels: Sequence[str]) -> int:
    """One ``{"text", "label": [[start, end, label]], **metadata}`` line per document."""
    count = 0
    with atomic_text_writer(path) as out:
        for doc in docs:
            record: dict[str, Any] = {"text": doc.text}
            if doc.spans or doc.labelled is not False:
                record["label"] = [[s.start, s.end, s.label] for s in doc.spans]
            for key, value in doc.metadata.items():
                if key != "text" and key not in _SPAN_KEYS:
                    record.setdefault(key, value)
            out.write(jsonio.dumps(record) + "\n")
            count += 1
    return count
