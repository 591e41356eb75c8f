"""Label Studio JSON export: a JSON array of tasks (or one task object), and JSON-MIN.

Each task has ``data.text`` (or the first string in ``data``) and ``annotations``; the first
annotation that was not cancelled gives the spans, from its ``result`` items of type ``labels``
(``value.start``, ``value.end``, ``value.labels[0]``). Tasks without one are unlabelled.
Results of other types are counted and not kept; a task with image, audio or video results
(``rectanglelabels`` and the like) is skipped and counted, since it has no text to label.
``predictions`` become suggestions when importing ``--as-suggestions`` (option
``as_suggestions``), else they are counted.

JSON-MIN (``[{"text": ..., "label": [{"start", "end", "text", "labels"}], "id": ...}]``): the
text is the ``text`` key (else the first string), the spans the list whose items have
``start``/``end``/``labels``; other keys are metadata.

The writer writes the JSON form: ``data`` (the text and the metadata), one annotation with the
spans (none for an unlabelled document).

Offsets are code points, as current Label Studio writes them. Older versions counted UTF-16
units (an emoji counted 2); when ``value.text`` does not match the code-point slice but matches
the UTF-16 one, the offsets are converted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from engine.types import DocumentData, SpanData

from . import jsonio
from .atomic import atomic_text_writer
from .registry import ReadContext, register_reader, register_writer
from .validate import check_document, make_span

_WS = " \t\r\n"
NON_TEXT = frozenset(
    {
        "rectanglelabels",
        "polygonlabels",
        "keypointlabels",
        "brushlabels",
        "ellipselabels",
        "rectangle",
        "polygon",
        "keypoint",
        "brush",
        "ellipse",
        "videorectangle",
        "timeserieslabels",
        "paragraphlabels",
        "hypertextlabels",
    }
)


def _sniff(head: str) -> float:
    stripped = head.lstrip(_WS)
    if stripped.startswith("["):
        if '"data"' in head:
            return 0.9
        rest = stripped[1:].lstrip(_WS)
        if rest.startswith("{"):
            # An array of objects is not JSON Lines; its "data" may come after the head.
            return 0.7
        return 0.0
    if stripped.startswith("{") and '"data"' in head:
        first = stripped.split("\n", 1)[0]
        try:
            json.loads(first)
        except ValueError:  # a task object spread over several lines, not one JSONL record
            return 0.9
        return 0.0
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


def _task_text(data: dict[str, Any], ctx: ReadContext, line: int, where: str) -> tuple[str, str]:
    if isinstance(data.get("text"), str):
        return "text", data["text"]
    for key, value in data.items():
        if isinstance(value, str):
            return key, value
    raise ctx.error(f'{where}: no text in "data"', line)


def _utf16_to_code_points(text: str, offset: int) -> int | None:
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text) if units == offset else None


def _span(item: dict[str, Any], text: str, ctx: ReadContext, line: int, where: str) -> SpanData:
    value = item.get("value")
    if not isinstance(value, dict):
        raise ctx.error(f'{where}: result has no "value" object', line)
    labels = value.get("labels")
    if not isinstance(labels, list) or not labels:
        raise ctx.error(f'{where}: result has no "labels"', line)
    start, end = value.get("start"), value.get("end")
    span = make_span(start, end, labels[0], ctx, line, where)
    shown = value.get("text")
    if isinstance(shown, str) and text[span.start : span.end] != shown:
        s16, e16 = _utf16_to_code_points(text, span.start), _utf16_to_code_points(text, span.end)
        if s16 is not None and e16 is not None and text[s16:e16] == shown:
            return SpanData(s16, e16, span.label)
        raise ctx.error(
            f"{where}: span {span.start}..{span.end} ({span.label}) covers "
            f"{text[span.start : span.end]!r} but the export says {shown!r}",
            line,
        )
    return span


def _annotation(
    task: dict[str, Any], ctx: ReadContext, line: int, where: str
) -> dict[str, Any] | None:
    annotations = task.get("annotations", task.get("completions", []))
    if not isinstance(annotations, list):
        raise ctx.error(f'{where}: "annotations" must be a list', line)
    for ann in annotations:
        if not isinstance(ann, dict):
            raise ctx.error(f"{where}: an annotation is not an object", line)
        if not ann.get("was_cancelled"):
            return ann
    return None


def _results(
    items: Any, text: str, ctx: ReadContext, line: int, where: str, kept: str
) -> tuple[list[SpanData], int]:
    """Spans of a result list, and how many results were ``labels`` ones."""
    if not isinstance(items, list):
        raise ctx.error(f'{where}: "result" must be a list', line)
    spans = []
    labels = 0
    for item in items:
        if not isinstance(item, dict):
            raise ctx.error(f"{where}: a result is not an object", line)
        kind = item.get("type")
        if kind == "labels":
            spans.append(_span(item, text, ctx, line, where))
            labels += 1
        else:
            ctx.note(f"{kept} of type {kind!r} not kept (only text spans are)")
    return spans, labels


def _non_text(task: dict[str, Any]) -> str | None:
    for key in ("annotations", "completions", "predictions"):
        for ann in task.get(key) or []:
            if isinstance(ann, dict) and isinstance(ann.get("result"), list):
                for item in ann["result"]:
                    if isinstance(item, dict) and item.get("type") in NON_TEXT:
                        return str(item["type"])
    return None


def _task_document(task: Any, line: int, index: int, ctx: ReadContext) -> DocumentData | None:
    where = f"task {index + 1}"
    if not isinstance(task, dict):
        raise ctx.error(f"{where} is not an object", line)
    data = task.get("data")
    if data is None and not any(k in task for k in ("annotations", "completions", "predictions")):
        return _min_document(task, line, where, ctx)
    if not isinstance(data, dict):
        raise ctx.error(f'{where}: "data" is missing or not an object', line)
    kind = _non_text(task)
    if kind is not None:
        ctx.note(f"tasks with non-text results ({kind} and the like) skipped")
        return None
    key, doc_text = _task_text(data, ctx, line, where)
    ann = _annotation(task, ctx, line, where)
    spans: list[SpanData] = []
    labelled = False
    if ann is not None:
        result = ann.get("result", [])
        spans, n_labels = _results(result, doc_text, ctx, line, where, "results")
        labelled = n_labels > 0 or not result
    suggestions = _predictions(task, doc_text, ctx, line, where)
    metadata = {k: v for k, v in data.items() if k != key}
    if "id" in task:
        metadata.setdefault("id", task["id"])
    return DocumentData(
        text=doc_text,
        spans=spans,
        metadata=metadata,
        line=line,
        labelled=labelled,
        suggestions=suggestions,
    )


def _predictions(
    task: dict[str, Any], text: str, ctx: ReadContext, line: int, where: str
) -> list[SpanData]:
    predictions = task.get("predictions") or []
    if not isinstance(predictions, list):
        raise ctx.error(f'{where}: "predictions" must be a list', line)
    if not predictions:
        return []
    if not ctx.options.get("as_suggestions"):
        ctx.note(
            "tasks with predictions: predictions not imported (import with "
            "--as-suggestions to review them as suggestions)"
        )
        return []
    first = predictions[0]
    if not isinstance(first, dict):
        raise ctx.error(f"{where}: a prediction is not an object", line)
    spans, _ = _results(first.get("result", []), text, ctx, line, where, "prediction results")
    return spans


def _min_document(task: dict[str, Any], line: int, where: str, ctx: ReadContext) -> DocumentData:
    """A JSON-MIN record: flat keys, spans in the list whose items carry ``labels``."""
    key, doc_text = _task_text(task, ctx, line, where)
    span_key = None
    for k, v in task.items():
        if (
            isinstance(v, list)
            and v
            and all(isinstance(x, dict) and "start" in x and "labels" in x for x in v)
        ):
            span_key = k
            break
    spans = []
    if span_key is not None:
        for item in task[span_key]:
            spans.append(_span({"value": item}, doc_text, ctx, line, where))
    metadata = {k: v for k, v in task.items() if k not in (key, span_key)}
    return DocumentData(
        text=doc_text, spans=spans, metadata=metadata, line=line, labelled=span_key is not None
    )


@register_reader(
    "labelstudio",
    extensions=(".json",),
    sniff=_sniff,
    description="Label Studio JSON or JSON-MIN export",
)
def read_labelstudio(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Read a Label Studio export (tasks with their first non-cancelled annotation)."""
    docs = []
    for index, (line, task) in enumerate(_tasks(text, ctx)):
        doc = _task_document(task, line, index, ctx)
        if doc is not None:
            check_document(doc, ctx, f"task {index + 1}")
            docs.append(doc)
    if not docs and ctx.notes:
        raise ctx.error("no text tasks: " + "; ".join(ctx.warnings()))
    return docs


@register_writer(
    "labelstudio", extension=".json", description="Label Studio JSON (tasks with one annotation)"
)
def write_labelstudio(docs: Iterable[DocumentData], path: Path, labels: Sequence[str]) -> int:
    """A JSON array of tasks: ``data`` = text + metadata, one annotation of ``labels`` results."""
    count = 0
    with atomic_text_writer(path) as out:
        out.write("[")
        for doc in docs:
            data: dict[str, Any] = {"text": doc.text}
            meta = {k: v for k, v in doc.metadata.items() if k not in ("text", "id")}
            data.update(meta)
            task: dict[str, Any] = {"data": data}
            if "id" in doc.metadata:
                task["id"] = doc.metadata["id"]
            if doc.spans or doc.labelled is not False:
                result = [
                    {
                        "id": f"s{k}",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {
                            "start": s.start,
                            "end": s.end,
                            "text": doc.text[s.start : s.end],
                            "labels": [s.label],
                        },
                    }
                    for k, s in enumerate(doc.spans, 1)
                ]
                task["annotations"] = [{"result": result, "was_cancelled": False}]
            else:
                task["annotations"] = []
            out.write(("\n" if count == 0 else ",\n") + jsonio.dumps(task))
            count += 1
        out.write("\n]\n")
    return count
