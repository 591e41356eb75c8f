"""Immutable values that cross layers (engine ↔ CLI ↔ desktop).

Offsets are ``[start, end)`` in Python code points on the *document* text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEGMENT_STATUSES: tuple[str, ...] = ("todo", "labelled", "skipped")
SEGMENT_SPLITS: tuple[str, ...] = ("train", "eval")
SPAN_SOURCES: tuple[str, ...] = ("human", "model", "imported")
SUGGESTION_SOURCES: tuple[str, ...] = ("model", "pattern", "imported")
SEGMENT_MODES: tuple[str, ...] = ("sentences", "lines", "document")


@dataclass(frozen=True)
class Label:
    id: int
    name: str
    color: str
    hotkey: str | None
    position: int


@dataclass(frozen=True)
class Span:
    """An accepted annotation on a document."""

    id: int
    document_id: int
    segment_id: int
    start: int
    end: int
    label: str
    source: str = "human"
    created_at: str = ""


@dataclass(frozen=True)
class Suggestion:
    """A span proposed by a model (or imported pre-annotations) waiting for review."""

    id: int
    segment_id: int
    start: int
    end: int
    label: str
    score: float | None
    model_version: str | None
    source: str = "model"


@dataclass(frozen=True)
class Document:
    id: int
    text: str
    source: str | None
    metadata: dict[str, Any]
    content_hash: str


@dataclass(frozen=True)
class Segment:
    id: int
    document_id: int
    position: int
    start: int
    end: int
    status: str
    split: str
    text: str = ""
    score: float | None = None
    has_suggestions: bool = False


@dataclass(frozen=True)
class ModelVersion:
    id: int
    name: str
    path: str
    created_at: str
    base_model: str
    metrics: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    active: bool = False
    #: the weights were deleted to bound disk use (``keep_weights``); metrics stay
    weights_deleted: bool = False


@dataclass(frozen=True)
class Entity:
    """A predicted entity: code-point offsets on the input text, label and confidence."""

    start: int
    end: int
    label: str
    score: float
    text: str = ""


# ---- values handed between formats and the store --------------------------------------------


@dataclass(frozen=True)
class SpanData:
    """A span as read from or written to a file, relative to its document text."""

    start: int
    end: int
    label: str


@dataclass
class DocumentData:
    """A document as a format reader yields it.

    ``segments`` are pre-cut segment boundaries (CoNLL sentences); None lets the importer segment
    the text. ``tokenized`` says the text is whitespace-joined tokens (CoNLL) so word boundaries
    are the spaces, which export to CoNLL reproduces exactly. ``suggestions`` are spans to
    propose for review (Prodigy binary accepts, Label Studio predictions), ``rejections`` spans a
    person rejected (never suggested again); neither makes the document labelled.
    """

    text: str
    spans: list[SpanData] = field(default_factory=list)
    segments: list[tuple[int, int]] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    tokenized: bool = False
    labelled: bool | None = None
    suggestions: list[SpanData] = field(default_factory=list)
    rejections: list[SpanData] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    files: int = 0
    documents: int = 0
    segments: int = 0
    spans: int = 0
    duplicates: int = 0
    new_labels: tuple[str, ...] = ()
    as_suggestions: bool = False
    warnings: tuple[str, ...] = ()
    suggestions: int = 0
    rejections: int = 0
    merged: int = 0
    updated: int = 0
    backup: str | None = None


# ---- training data handed from the store to the trainer ---------------------------------------


@dataclass(frozen=True)
class LabelledExample:
    """One labelled segment: its text and spans relative to that text."""

    segment_id: int
    text: str
    spans: tuple[SpanData, ...]
    tokenized: bool = False


@dataclass(frozen=True)
class TrainingSnapshot:
    """Everything a training run reads, taken in one read transaction."""

    labels: tuple[str, ...]
    train: tuple[LabelledExample, ...]
    eval: tuple[LabelledExample, ...]
