"""Entity-level evaluation (seqeval, micro P/R/F1 and per label) on held-out data only.

Scores come from the project's eval-split segments (which training never sees) or from a gold
file; with neither, the result says so (``f1`` None and a message) rather than reporting scores
on training data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.errors import ValidationError
from engine.progress import CancelToken
from engine.types import DocumentData, LabelledExample

log = logging.getLogger(__name__)

NO_EVAL_MESSAGE = (
    "no evaluation segments yet: label some segments of the eval split to get "
    "honest scores (training scores are never reported as quality)"
)


def entity_metrics(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str], source: str
) -> dict[str, Any]:
    """seqeval micro precision/recall/F1 and per-label scores with support."""
    from seqeval.metrics import classification_report

    sentences = len(gold)
    if sentences == 0:
        return no_metrics(source)
    report = classification_report(
        [list(g) for g in gold], [list(p) for p in pred], output_dict=True, zero_division=0
    )
    from engine.training.bootstrap import f1_intervals

    micro = report.get("micro avg", {})
    per_label: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys([*labels, *(k for k in report if not k.endswith(" avg"))]):
        row = report.get(name)
        per_label[name] = (
            {
                "precision": float(row["precision"]),
                "recall": float(row["recall"]),
                "f1": float(row["f1-score"]),
                "support": int(row["support"]),
            }
            if row
            else {"precision": None, "recall": None, "f1": None, "support": 0}
        )
    ci = f1_intervals(gold, pred, list(per_label))
    for name, row in per_label.items():
        row["f1_ci"] = ci["per_label"].get(name)
    return {
        "precision": float(micro.get("precision", 0.0)),
        "recall": float(micro.get("recall", 0.0)),
        "f1": float(micro.get("f1-score", 0.0)),
        "f1_ci": ci["f1"],
        "per_label": per_label,
        "sentences": sentences,
        "source": source,
    }


def no_metrics(source: str, message: str = NO_EVAL_MESSAGE) -> dict[str, Any]:
    """The result when there is nothing held out to score on."""
    return {
        "precision": None,
        "recall": None,
        "f1": None,
        "f1_ci": None,
        "per_label": {},
        "sentences": 0,
        "source": source,
        "message": message,
    }


def score_model(
    model: Any,
    tokenizer: Any,
    examples: Sequence[LabelledExample],
    tags: Sequence[str],
    *,
    source: str,
    max_length: int = 256,
    stride: int = 32,
    batch_size: int = 64,
    cancel: CancelToken | None = None,
    threads: int | None = None,
    device: str | None = None,
) -> dict[str, Any]:
    """Predict ``examples`` with a torch model and score them against their spans.

    ``threads`` None uses the cores that are idle now (as training does); ``device`` (a
    device name, :func:`engine.training.device.resolve_device`) moves the model there first,
    None leaves it where it is.
    """
    from engine.inference.windows import special_tokens
    from engine.training.cpu import auto_threads
    from engine.training.examples import encode_examples
    from engine.training.predict import predict_tags
    from engine.training.trainer import torch_threads

    if not examples:
        return no_metrics(source)
    from engine.inference.windows import clamp_window

    if device is not None:
        from engine.training.device import resolve_device

        model.to(resolve_device(device))
    tag_ids = {t: i for i, t in enumerate(tags)}
    max_length = clamp_window(max_length, model.config)  # never past the position embeddings
    stride = min(stride, max_length // 4)
    encoded = encode_examples(examples, tokenizer, tag_ids, max_length, stride, cancel=cancel)
    with torch_threads(threads or auto_threads()):
        special = special_tokens(tokenizer.backend_tokenizer, tokenizer.pad_token)
        pred = predict_tags(model, encoded, special, tags, batch_size, cancel)
    labels = [t[2:] for t in tags if t.startswith("B-")]
    return entity_metrics([ex.tags for ex in encoded], pred, labels, source)


def evaluate(
    project: Any,
    version: str | None = None,
    data: str | Path | None = None,
    *,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Score a model version (default: the active one) on the eval split or a gold file.

    Returns ``precision``, ``recall``, ``f1``, ``per_label`` {label: {precision, recall, f1,
    support}}, ``sentences`` and ``source``; with no held-out data the scores are None and
    ``message`` says why. Raises ValidationError when there is no model, ModelLoadError when
    the version cannot be loaded, FormatError for an unreadable gold file, Cancelled.
    """
    from engine.models.base import load_token_classifier, load_tokenizer

    chosen = project.versions.get(version) if version else project.versions.active()
    if chosen is None:
        raise ValidationError(
            "the project has no trained model yet; train one first", field="version"
        )
    folder = Path(chosen.path)
    tokenizer = load_tokenizer(folder)
    model = load_token_classifier(folder)
    tags = [model.config.id2label[i] for i in range(len(model.config.id2label))]
    settings = chosen.config or {}
    groups: dict[str, Any] = {}
    if data is not None:
        examples, source = gold_file_examples(Path(data)), str(data)
    else:
        from engine.store.split import eval_groups

        examples, source = list(project.annotations.training_snapshot().eval), "eval split"
        with project.db.read() as conn:
            groups = eval_groups(conn, [ex.segment_id for ex in examples])
    unknown = sorted({s.label for ex in examples for s in ex.spans} - {t[2:] for t in tags})
    if unknown:
        log.warning("labels the model does not know count as misses: %s", ", ".join(unknown))
    metrics = score_model(
        model,
        tokenizer,
        examples,
        tags,
        source=source,
        max_length=int(settings.get("max_length", 256)),
        stride=int(settings.get("stride", 32)),
        cancel=cancel,
        device=str(project.setting("device")),
    )
    return {**metrics, **groups} if metrics.get("f1") is not None else metrics


def gold_file_examples(path: Path) -> list[LabelledExample]:
    """Labelled examples from a gold file: one per pre-cut segment, else one per document."""
    from engine.formats import read_file

    examples: list[LabelledExample] = []
    for doc in read_file(path):
        examples.extend(document_examples(doc, len(examples)))
    if not examples:
        raise ValidationError(f"{path} holds no text to evaluate on", field="data")
    return examples


def document_examples(doc: DocumentData, first_id: int = 0) -> list[LabelledExample]:
    """A document cut into labelled examples along its segments (spans made relative)."""
    from engine.types import SpanData

    bounds = doc.segments or [(0, len(doc.text))]
    out = []
    for n, (start, end) in enumerate(bounds):
        spans = tuple(
            SpanData(s.start - start, s.end - start, s.label)
            for s in doc.spans
            if s.start >= start and s.end <= end
        )
        out.append(LabelledExample(first_id + n, doc.text[start:end], spans, doc.tokenized))
    return out
