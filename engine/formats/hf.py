"""Hugging Face ``datasets`` JSON Lines for token classification.

One record per sentence: ``{"id": "0", "tokens": [...], "ner_tags": [0, 3, 4, ...]}``, the
sentences and tokens being exactly those of the CoNLL writer. The tag names go to a sidecar file
next to it, ``<stem>.labels.json`` (``train.jsonl`` → ``train.labels.json``)::

    {"names": ["O", "B-PER", "I-PER", ...], "label2id": {"O": 0, "B-PER": 1, ...}}

``names`` is what ``datasets.ClassLabel(names=...)`` takes. Tag ids follow the project's label
order (``labels``), then labels met only in the documents, alphabetically: "O" is 0, label k
has B = 2k+1 and I = 2k+2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from engine.text.bio import tag_names
from engine.types import DocumentData

from . import jsonio
from .atomic import atomic_text_writer
from .conll import document_sentences
from .registry import register_writer


def labels_path(path: Path) -> Path:
    """Where the tag names of the dataset at ``path`` are written."""
    return path.with_name(path.stem + ".labels.json") if path.suffix else path.with_name(
        path.name + ".labels.json")


@register_writer("hf", extension=".jsonl",
                 description="Hugging Face datasets JSON Lines (tokens, ner_tags) + labels file")
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
                record = {"id": str(count), "tokens": tokens,
                          "ner_tags": [ids[t] for t in tags]}
                out.write(jsonio.dumps(record) + "\n")
                count += 1
    with atomic_text_writer(labels_path(path)) as out:
        json.dump({"names": names, "label2id": ids}, out, ensure_ascii=False, indent=1)
        out.write("\n")
    return count
