"""Label Studio JSON export: a JSON array of tasks.

Each task has ``data.text`` (or the first string in ``data``) and ``annotations``; the first
annotation that was not cancelled gives the spans, from its ``result`` items of type ``labels``
(``value.start``, ``value.end``, ``value.labels[0]``). Tasks without one are unlabelled.

Offsets are code points, as current Label Studio writes them. Older versions counted UTF-16
units (an emoji counted 2); when ``value.text`` does not match the code-point slice but matches
the UTF-16 one, the offsets are converted.
"""

from __future__ import annotations

import json
from typing import Any

from engine.types import DocumentData, SpanData

from . import jsonio
from .registry import ReadContext, register_reader
from .validate import check_document, make_span

_WS = " \t\r\n"


def _sniff(head: str) -> float:
    stripped = head.lstrip(_WS)
    if stripped.startswith("[") and '"data"' in head:
        return 0.9
    return 0.0


def _tasks(text: str, ctx: ReadContext) -> list[tuple[int, Any]]:
    """``(line, task)`` for each element of the top-level array (a lone object is one task)."""
    i = len(text) - len(text.lstrip(_WS))
    if text.startswith("{", i):
        return [(text.count("\n", 0, i) + 1, jsonio.loads(text, ctx))]
    if not text.startswith("[", i):
        raise ctx.error("expected a JSON array of Label Studio tasks", text.count("\n", 0, i) + 1)
    out: list[tuple[int, Any]] = []
    pos, line = i + 1, 1 + text.count("\n", 0, i)
    counted = i
    try:
        while True:
            pos = _skip_ws(text, pos)
            if text.startswith("]", pos) and not out:
                pos += 1
                break
            line += text.count("\n", counted, pos)
            counted = pos
            task, pos = jsonio.DECODER.raw_decode(text, pos)
            out.append((line, task))
            pos = _skip_ws(text, pos)
            if text.startswith(",", pos):
                pos += 1
            elif text.startswith("]", pos):
                pos += 1
                break
            else:
                raise json.JSONDecodeError("expected ',' or ']'", text, pos)
    except json.JSONDecodeError as exc:
        raise ctx.error(f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise ctx.error(f"invalid JSON: {exc}", line) from None
    if text[pos:].strip(_WS):
        raise ctx.error("invalid JSON: extra data after the array", text.count("\n", 0, pos) + 1)
    return out


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _task_text(data: dict[str, Any], ctx: ReadContext, line: int,
               where: str) -> tuple[str, str]:
    if isinstance(data.get("text"), str):
        return "text", data["text"]
    for key, value in data.items():
        if isinstance(value, str):
            return key, value
    raise ctx.error(f"{where}: no text in \"data\"", line)


def _utf16_to_code_points(text: str, offset: int) -> int | None:
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text) if units == offset else None


def _span(item: dict[str, Any], text: str, ctx: ReadContext, line: int,
          where: str) -> SpanData:
    value = item.get("value")
    if not isinstance(value, dict):
        raise ctx.error(f"{where}: result has no \"value\" object", line)
    labels = value.get("labels")
    if not isinstance(labels, list) or not labels:
        raise ctx.error(f"{where}: result has no \"labels\"", line)
    start, end = value.get("start"), value.get("end")
    span = make_span(start, end, labels[0], ctx, line, where)
    shown = value.get("text")
    if isinstance(shown, str) and text[span.start:span.end] != shown:
        s16, e16 = _utf16_to_code_points(text, span.start), _utf16_to_code_points(text, span.end)
        if s16 is not None and e16 is not None and text[s16:e16] == shown:
            return SpanData(s16, e16, span.label)
        raise ctx.error(f"{where}: span {span.start}..{span.end} ({span.label}) covers "
                        f"{text[span.start:span.end]!r} but the export says {shown!r}", line)
    return span


def _annotation(task: dict[str, Any], ctx: ReadContext, line: int,
                where: str) -> dict[str, Any] | None:
    annotations = task.get("annotations", task.get("completions", []))
    if not isinstance(annotations, list):
        raise ctx.error(f"{where}: \"annotations\" must be a list", line)
    for ann in annotations:
        if not isinstance(ann, dict):
            raise ctx.error(f"{where}: an annotation is not an object", line)
        if not ann.get("was_cancelled"):
            return ann
    return None


@register_reader("labelstudio", extensions=(".json",), sniff=_sniff,
                 description="Label Studio JSON export")
def read_labelstudio(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Read a Label Studio JSON export (tasks with their first non-cancelled annotation)."""
    docs = []
    for index, (line, task) in enumerate(_tasks(text, ctx)):
        where = f"task {index + 1}"
        if not isinstance(task, dict):
            raise ctx.error(f"{where} is not an object", line)
        data = task.get("data")
        if not isinstance(data, dict):
            raise ctx.error(f"{where}: \"data\" is missing or not an object", line)
        key, doc_text = _task_text(data, ctx, line, where)
        ann = _annotation(task, ctx, line, where)
        spans = []
        if ann is not None:
            result = ann.get("result", [])
            if not isinstance(result, list):
                raise ctx.error(f"{where}: \"result\" must be a list", line)
            for item in result:
                if isinstance(item, dict) and item.get("type") == "labels":
                    spans.append(_span(item, doc_text, ctx, line, where))
        metadata = {k: v for k, v in data.items() if k != key}
        if "id" in task:
            metadata.setdefault("id", task["id"])
        doc = DocumentData(text=doc_text, spans=spans, metadata=metadata, line=line,
                           labelled=ann is not None)
        check_document(doc, ctx, where)
        docs.append(doc)
    return docs
