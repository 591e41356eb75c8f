"""Review: rank labelled segments by how likely their stored spans are wrong (a job).

The labelled segments (both splits) are cut into K folds at random (project seed). K models are
fine-tuned with the project trainer, each on the other K-1 folds, so every segment is scored by
a model that never saw it. Predictions are compared with the stored spans on words (whitespace
tokens for pre-tokenised text, :func:`engine.text.tokens.word_tokens` otherwise):

- ``extra``: a stored span no prediction overlaps;
- ``wrong_label``: a prediction with the same words and another label;
- ``wrong_boundary``: an overlapping prediction with other words;
- ``missing``: a prediction that overlaps no stored span.

An issue's ``confidence`` is ``1 - mean P(stored tag)`` over the words it covers where the
model's tag differs: how much of the model's probability goes against what is stored there.
A segment's ``score`` combines its issues as a noisy-or (``1 - prod(1 - confidence)``);
segments without issues rank after those with issues, by the largest per-word doubt.
Offsets in issues are relative to the segment text.
The result is kept in ``review.json`` in the project folder (written atomically).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ValidationError
from engine.progress import CancelToken, EventCallback, ProgressEvent, TrainEvent, check
from engine.store.util import now
from engine.text.bio import bio_spans, repair_bio, span_tokens
from engine.text.tokens import Token, whitespace_tokens, word_tokens
from engine.training.config import TrainConfig
from engine.types import LabelledExample, SpanData

REVIEW_FILE = "review.json"
KINDS = ("missing", "extra", "wrong_label", "wrong_boundary")


@dataclass(frozen=True)
class ReviewIssue:
    kind: str
    start: int
    end: int
    stored_label: str | None
    predicted_label: str | None
    confidence: float


@dataclass(frozen=True)
class ReviewItem:
    segment_id: int
    document: int
    text: str
    score: float
    issues: tuple[ReviewIssue, ...]
    uncertainty: float = 0.0  # 1 - least word confidence of the model's own prediction
    predicted: tuple[SpanData, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id,
            "document": self.document,
            "text": self.text,
            "score": round(self.score, 4),
            "issues": [{**asdict(i), "confidence": round(i.confidence, 4)} for i in self.issues],
        }


@dataclass(frozen=True)
class ReviewResult:
    items: tuple[ReviewItem, ...]  # every reviewed segment, most likely wrong first
    folds: int
    segments: int
    seconds: float
    computed_at: str

    @property
    def flagged(self) -> tuple[ReviewItem, ...]:
        return tuple(i for i in self.items if i.issues)

    def to_dict(self, all_items: bool = False) -> dict[str, Any]:
        return {"items": [i.to_dict() for i in (self.items if all_items else self.flagged)]}


def fold_of(n: int, folds: int, seed: int) -> np.ndarray:
    """Fold number of each of ``n`` examples: a seeded permutation dealt round-robin."""
    order = np.random.default_rng([seed, 15]).permutation(n)
    out = np.empty(n, dtype=np.int64)
    out[order] = np.arange(n) % folds
    return out


def review(
    project: Any,
    folds: int = 5,
    config: TrainConfig | None = None,
    *,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
) -> ReviewResult:
    """Train ``folds`` models on the project's labelled segments and rank likely mistakes.

    Reports ProgressEvent(stage "review", permille done, message "fold k/K …"). Raises
    ValidationError (fewer than 2 labelled segments per fold, or folds < 2), Cancelled
    (nothing written), TrainingError/ModelLoadError from the trainer.
    """
    snap = project.annotations.training_snapshot()
    # folds do not depend on which side of the eval split a segment is
    examples = sorted([*snap.train, *snap.eval], key=lambda ex: ex.segment_id)
    config = replace(
        config or TrainConfig(),
        seed=(config.seed if config and config.seed is not None else int(project.setting("seed"))),
        base_model=(
            config.base_model
            if config and config.base_model
            else str(project.setting("base_model"))
        ),
    )
    from engine.store.occurrences import segment_documents

    docs = segment_documents(project.db.connection())
    result = review_examples(
        examples, snap.labels, folds, config, docs, on_event=on_event, cancel=cancel
    )
    save_review(Path(project.path), result)
    return result


def review_examples(
    examples: Sequence[LabelledExample],
    labels: Sequence[str],
    folds: int,
    config: TrainConfig,
    documents: dict[int, int] | None = None,
    *,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
) -> ReviewResult:
    """The review of in-memory examples (benchmarks call this without a project)."""
    from engine.training.trainer import train_examples

    if folds < 2:
        raise ValidationError(f"review needs at least 2 folds, not {folds}", field="folds")
    if len(examples) < 2 * folds:
        raise ValidationError(
            f"review with {folds} folds needs at least {2 * folds} labelled "
            f"segments; the project has {len(examples)}",
            field="folds",
        )
    started, stamp = time.monotonic(), now()  # edits after this take an item off the list
    assigned = fold_of(len(examples), folds, int(config.seed or 0))
    items: list[ReviewItem] = []
    for k in range(folds):
        check(cancel)
        train = [ex for ex, f in zip(examples, assigned, strict=True) if f != k]
        held = [ex for ex, f in zip(examples, assigned, strict=True) if f == k]
        outcome = train_examples(
            train, (), labels, config, on_event=_fold_events(on_event, k, folds), cancel=cancel
        )
        items += score_examples(
            outcome.model, outcome.tokenizer, held, outcome.tags, config, documents or {}, cancel
        )
        if on_event is not None:
            on_event(
                ProgressEvent(
                    "review", (k + 1) * 1000 // folds, 1000, f"fold {k + 1}/{folds} scored"
                )
            )
    items.sort(key=lambda i: (bool(i.issues), i.score), reverse=True)
    return ReviewResult(
        tuple(items), folds, len(examples), round(time.monotonic() - started, 2), stamp
    )


def _fold_events(on_event: EventCallback | None, k: int, folds: int) -> EventCallback | None:
    if on_event is None:
        return None

    def forward(event: Any) -> None:
        if isinstance(event, TrainEvent) and event.total_steps:
            frac = (k + event.step / event.total_steps) / folds
            on_event(
                ProgressEvent(
                    "review",
                    int(frac * 1000),
                    1000,
                    f"fold {k + 1}/{folds}: training step {event.step}/{event.total_steps}",
                )
            )

    return forward


def _words(ex: LabelledExample) -> list[Token]:
    return (whitespace_tokens if ex.tokenized else word_tokens)(ex.text)


def score_examples(
    model: Any,
    tokenizer: Any,
    examples: Sequence[LabelledExample],
    tags: Sequence[str],
    config: TrainConfig,
    documents: dict[int, int],
    cancel: CancelToken | None = None,
) -> list[ReviewItem]:
    """Compare a model's word probabilities with the stored spans of unseen examples."""
    from engine.inference.windows import special_tokens
    from engine.training.examples import encode_examples
    from engine.training.predict import word_probabilities
    from engine.training.trainer import torch_threads

    if not examples:
        return []
    tag_ids = {t: i for i, t in enumerate(tags)}
    # encoded without spans: the words are not split at stored boundaries (no leak)
    bare = [replace(ex, spans=()) for ex in examples]
    encoded = encode_examples(
        bare, tokenizer, tag_ids, config.max_length, config.stride, cancel=cancel
    )
    special = special_tokens(tokenizer.backend_tokenizer, tokenizer.pad_token)
    with torch_threads(config.thread_count()):
        probs = word_probabilities(model, encoded, special, config.eval_batch_size, cancel)
    return [
        compare(ex, _words(ex), p, tags, documents.get(ex.segment_id, 0))
        for ex, p in zip(examples, probs, strict=True)
    ]


def compare(
    ex: LabelledExample,
    words: Sequence[Token],
    probs: np.ndarray,
    tags: Sequence[str],
    document: int = 0,
) -> ReviewItem:
    """Issues of one example given ``words × tags`` probabilities (see the module docstring)."""
    tag_ids = {t: i for i, t in enumerate(tags)}
    stored: list[tuple[int, int, str]] = []
    for span, inside in zip(ex.spans, span_tokens(words, ex.spans), strict=True):
        if inside:
            stored.append((inside[0], inside[-1] + 1, span.label))
    gold = ["O"] * len(words)
    for i, j, label in stored:
        for w in range(i, j):
            gold[w] = ("B-" if w == i else "I-") + label
    p_gold = (
        np.array([probs[w, tag_ids.get(t, 0)] for w, t in enumerate(gold)], dtype=np.float64)
        if len(words)
        else np.zeros(0)
    )
    pred_tags = repair_bio([tags[j] for j in probs.argmax(axis=-1)]) if len(words) else []
    pred = bio_spans(pred_tags)
    differ = np.array([g != t for g, t in zip(gold, pred_tags, strict=True)], dtype=bool)

    def doubt(i: int, j: int) -> float:
        """1 - mean P(stored tag) over the words of [i, j) where the model disagrees."""
        sel = p_gold[i:j][differ[i:j]] if differ[i:j].any() else p_gold[i:j]
        return float(1.0 - sel.mean())

    def offsets(i: int, j: int) -> tuple[int, int]:
        return words[i].start, words[j - 1].end

    issues: list[ReviewIssue] = []
    for i, j, label in stored:
        over = [(a, b, lab) for a, b, lab in pred if a < j and b > i]
        exact = [p for p in over if p[0] == i and p[1] == j]
        if exact and exact[0][2] == label:
            continue
        kind, other = (
            ("wrong_label", exact[0])
            if exact
            else ("wrong_boundary", over[0])
            if over
            else ("extra", None)
        )
        a, b = (min(i, other[0]), max(j, other[1])) if other else (i, j)
        issues.append(
            ReviewIssue(kind, *offsets(i, j), label, other[2] if other else None, doubt(a, b))
        )
    for a, b, lab in pred:
        if not any(i < b and j > a for i, j, _ in stored):
            issues.append(ReviewIssue("missing", *offsets(a, b), None, lab, doubt(a, b)))
    issues.sort(key=lambda x: -x.confidence)
    if issues:
        score = 1.0 - float(np.prod([1.0 - x.confidence for x in issues]))
    else:
        score = float((1.0 - p_gold).max()) if len(words) else 0.0
    uncertainty = float(1.0 - probs.max(axis=-1).min()) if len(words) else 0.0
    predicted = tuple(SpanData(*offsets(a, b), lab) for a, b, lab in pred)
    return ReviewItem(
        ex.segment_id, document, ex.text, score, tuple(issues), uncertainty, predicted
    )


# -- the stored review list --------------------------------------------------------------------


def save_review(folder: Path, result: ReviewResult) -> Path:
    """Write ``review.json`` (temp file, then rename)."""
    data = {
        "computed_at": result.computed_at,
        "folds": result.folds,
        "segments": result.segments,
        "seconds": result.seconds,
        "items": [
            {**i.to_dict(), "predicted": [asdict(s) for s in i.predicted]} for i in result.flagged
        ],
    }
    path = folder / REVIEW_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def load_review(folder: Path) -> dict[str, Any] | None:
    """The stored review (``None`` when none was run); unreadable files count as none."""
    path = Path(folder) / REVIEW_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("items"), list) else None


def pending_review(project: Any, pending_only: bool = True) -> list[dict[str, Any]]:
    """The stored review items whose segment is still labelled and unedited since the review
    (fixing or confirming a segment takes it off the list); every item with ``pending_only``
    False."""
    from engine.store.occurrences import still_unchanged

    data = load_review(Path(project.path))
    if data is None:
        return []
    items = [i for i in data["items"] if isinstance(i, dict) and "segment_id" in i]
    if not pending_only:
        return items
    keep = still_unchanged(
        project.db.connection(), [i["segment_id"] for i in items], str(data.get("computed_at", ""))
    )
    return [i for i in items if i["segment_id"] in keep]
