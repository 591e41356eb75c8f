"""Hugging Face ``datasets`` JSON Lines for token classification.

One record per sentence: ``{"id": "0", "tokens": [...], "ner_tags": [0, 3, 4, ...]}``, the
sentences and tokens being exactly those of the CoNLL writer. The tag names go to a sidecar file
next to it, ``<stem>.labels.json`` (``train.jsonl`` → ``train.labels.json``)::

    {"names": ["O", "B-PER", "I-PER", ...], "label2id": {"O": 0, "B-PER": 1, ...}}

``names`` is what ``datasets.ClassLabel(names=...)`` takes. Tag ids follow the project's label
order (``labels``), then labels met only in the documents, alphabetically: "O" is 0, label k
has B = 2k+1 and I = 2k+2.

Reading (streamed, one record at a time): each record is a document whose text is its tokens
joined by spaces (one segment). Tags are strings (``"B-PER"``, any scheme CoNLL files use) or
integers named by the ``tag_names`` option (``--tag-names O,B-PER,...``) or else by the labels
file beside the input. ``id`` is a row number and is not kept; other keys (``pos_tags``…) are
counted as not kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.errors import FormatError
from engine.text.bio import TagDecoder, parse_tag, tag_names
from engine.types import DocumentData, SpanData

from . import jsonio
from .atomic import atomic_text_writer
from .conll import _UNICODE_SPACE_RE, document_sentences
from .jsonl import file_lines, json_objects, text_lines
from .registry import ReadContext, add_path_reader, register_reader, register_writer
from .source import read_text


def labels_path(path: Path) -> Path:
    """Where the tag names of the dataset at ``path`` are written."""
    return (
        path.with_name(path.stem + ".labels.json")
        if path.suffix
        else path.with_name(path.name + ".labels.json")
    )


@register_writer(
    "hf",
    extension=".jsonl",
    stdout=False,
    description="Hugging Face datasets JSON Lines (tokens, ner_tags) + labels file",
)
def write_hf(docs: Iterable[DocumentData], path: Path, labels: Sequence[str]) -> int:
    """Write one record per sentence and the sidecar labels file; returns the record count."""
    ordered = list(dict.fromkeys(labels))
    known = set(ordered)
    all_docs = list(docs)
    extra = sorted({s.label for d in all_docs for s in d.spans} - known)
    names = tag_names(ordered + extra)
    ids = {name: i for i, name in enumerate(names)}
    count = 0
    with atomic_text_writer(path) as out:
        for doc in all_docs:
            for tokens, tags in document_sentences(doc):
                record = {"id": str(count), "tokens": tokens, "ner_tags": [ids[t] for t in tags]}
                out.write(jsonio.dumps(record) + "\n")
                count += 1
    with atomic_text_writer(labels_path(path)) as out:
        json.dump({"names": names, "label2id": ids}, out, ensure_ascii=False, indent=1)
        out.write("\n")
    return count


def _sniff(head: str) -> float:
    for raw in head.split("\n")[:5]:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            return 0.0
        ok = (
            isinstance(record, dict)
            and isinstance(record.get("tokens"), list)
            and isinstance(record.get("ner_tags"), list)
        )
        return 0.95 if ok else 0.0
    return 0.0


def _names(ctx: ReadContext) -> list[str] | None:
    names = ctx.options.get("tag_names")
    if names:
        return list(names)
    side = labels_path(ctx.path)
    if not side.is_file():
        return None
    try:
        found = json.loads(read_text(side, 16 * 1024 * 1024)).get("names")
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, list) or not all(isinstance(n, str) for n in found):
        raise FormatError('the labels file has no "names" list of strings', path=side)
    return found


class _Reader:
    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.names: list[str] | None = None
        self.looked = False

    def tags(self, raw: list[Any], line: int) -> list[str]:
        if all(isinstance(t, str) for t in raw):
            return raw
        if not all(type(t) is int for t in raw):
            raise self.ctx.error('"ner_tags" must be all strings or all integers', line)
        if not self.looked:
            self.names, self.looked = _names(self.ctx), True
        if self.names is None:
            raise self.ctx.error(
                "integer ner_tags need their names: pass --tag-names O,B-PER,I-PER,... or "
                f"put {labels_path(self.ctx.path).name} (written by the hf export) beside "
                "the file",
                line,
            )
        out = []
        for t in raw:
            if not 0 <= t < len(self.names):
                raise self.ctx.error(f"tag id {t} has no name ({len(self.names)} names)", line)
            out.append(self.names[t])
        return out

    def documents(self, records: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[DocumentData]:
        for line, record in records:
            if record.get("tokens") == [] and record.get("ner_tags") == []:
                self.ctx.note("empty records (no tokens) skipped")
                continue
            yield self.document(line, record)

    def document(self, line: int, record: dict[str, Any]) -> DocumentData:
        ctx = self.ctx
        tokens, raw = record.get("tokens"), record.get("ner_tags")
        if not isinstance(tokens, list) or not isinstance(raw, list):
            raise ctx.error('a record needs "tokens" and "ner_tags" lists', line)
        if len(tokens) != len(raw):
            raise ctx.error(f"{len(tokens)} tokens but {len(raw)} ner_tags", line)
        for tok in tokens:
            if not isinstance(tok, str) or not tok or _UNICODE_SPACE_RE.search(tok):
                raise ctx.error(f"token {tok!r} is empty, not a string or holds whitespace", line)
        tags = self.tags(raw, line)
        parsed = {}
        for tag in set(tags):
            try:
                parsed[tag] = parse_tag(tag)
            except ValueError:
                raise ctx.error(f"unknown tag {tag!r}", line) from None
        decoder = TagDecoder(parsed, ctx)
        starts, pos = [], 0
        for tok in tokens:
            starts.append(pos)
            pos += len(tok) + 1
        spans = [
            SpanData(starts[i], starts[j - 1] + len(tokens[j - 1]), typ)
            for i, j, typ in decoder.decode(tags, line)
        ]
        decoder.finish()
        for key in record:
            if key not in ("id", "tokens", "ner_tags"):
                ctx.note(f"values of key {key!r} not kept")
        text = " ".join(tokens)
        return DocumentData(
            text=text,
            spans=spans,
            segments=[(0, len(text))],
            line=line,
            tokenized=True,
            labelled=True,
        )


@register_reader(
    "hf",
    extensions=(".jsonl", ".json"),
    sniff=_sniff,
    description="Hugging Face datasets JSON Lines (tokens, ner_tags)",
)
def read_hf(text: str, ctx: ReadContext) -> Iterator[DocumentData]:
    """Read token-classification JSON Lines; one document per record."""
    return _Reader(ctx).documents(json_objects(text_lines(text), ctx))


@add_path_reader("hf")
def stream_hf(path: Path, ctx: ReadContext) -> Iterator[DocumentData]:
    """Read token-classification JSON Lines from ``path`` one line at a time."""
    return _Reader(ctx).documents(json_objects(file_lines(path, ctx), ctx))
