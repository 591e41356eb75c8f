"""Review (issue 15): K-fold models rank labelled segments by how likely they hold mistakes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.api import Project
from engine.errors import Cancelled, ValidationError
from engine.progress import CancelToken, ProgressEvent
from engine.text.tokens import word_tokens
from engine.training import TrainConfig
from engine.training.review import compare, fold_of
from engine.types import LabelledExample, SpanData
from tests.engine.test_cli import run
from tests.engine.test_training import sentences
from tests.engine.tiny_model import build_tiny_model

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def probs_for(tags: list[str], p: float = 0.9) -> np.ndarray:
    out = np.full((len(tags), len(TAGS)), (1 - p) / (len(TAGS) - 1))
    for i, t in enumerate(tags):
        out[i, TAGS.index(t)] = p
    return out


def example(text: str, spans: list[tuple[int, int, str]]) -> LabelledExample:
    return LabelledExample(7, text, tuple(SpanData(*s) for s in spans))


TEXT = "john smith visited paris today"  # words: john smith visited paris today


@pytest.mark.parametrize(
    ("stored", "predicted", "kind", "where"),
    [
        ([(0, 10, "PER"), (19, 24, "LOC")], ["B-PER", "I-PER", "O", "B-LOC", "O"], None, None),
        (
            [(0, 10, "PER"), (19, 24, "PER")],
            ["B-PER", "I-PER", "O", "B-LOC", "O"],
            "wrong_label",
            (19, 24),
        ),
        (
            [(0, 4, "PER"), (19, 24, "LOC")],
            ["B-PER", "I-PER", "O", "B-LOC", "O"],
            "wrong_boundary",
            (0, 4),
        ),
        ([(0, 10, "PER")], ["B-PER", "I-PER", "O", "B-LOC", "O"], "missing", (19, 24)),
        ([(0, 10, "PER"), (25, 30, "LOC")], ["B-PER", "I-PER", "O", "O", "O"], "extra", (25, 30)),
    ],
)
def test_compare_finds_each_kind(
    stored: list, predicted: list[str], kind: str | None, where: tuple[int, int] | None
) -> None:
    ex = example(TEXT, stored)
    item = compare(ex, word_tokens(TEXT), probs_for(predicted), TAGS, document=3)
    if kind is None:
        assert item.issues == () and item.score < 0.2
        return
    assert [i.kind for i in item.issues] == [kind]
    issue = item.issues[0]
    assert (issue.start, issue.end) == where and issue.confidence > 0.8
    assert item.score == pytest.approx(issue.confidence) and item.document == 3
    if kind == "wrong_label":
        assert (issue.stored_label, issue.predicted_label) == ("PER", "LOC")
    if kind == "missing":
        assert (issue.stored_label, issue.predicted_label) == (None, "LOC")


def test_confidence_follows_the_model() -> None:
    ex = example(TEXT, [(0, 10, "PER")])
    sure = compare(
        ex, word_tokens(TEXT), probs_for(["B-PER", "I-PER", "O", "B-LOC", "O"], 0.95), TAGS
    )
    unsure = compare(
        ex, word_tokens(TEXT), probs_for(["B-PER", "I-PER", "O", "B-LOC", "O"], 0.5), TAGS
    )
    assert sure.score > unsure.score > 0


def test_folds_are_balanced_and_seeded() -> None:
    f = fold_of(23, 5, 0)
    assert sorted(np.bincount(f).tolist()) == [4, 4, 5, 5, 5]
    assert (fold_of(23, 5, 0) == f).all() and not (fold_of(23, 5, 1) == f).all()


# -- the job on a project, tiny model ------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("base"), ["PER", "LOC"])


CORRUPT = 4


@pytest.fixture
def noisy_project(tmp_path: Path) -> Iterator[Project]:
    """40 labelled sentences; in the first CORRUPT ones the PER span is labelled LOC."""
    records = sentences(40, seed=3)
    for r in records[:CORRUPT]:
        r["spans"][0]["label"] = "LOC"
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    project = Project.create(tmp_path / "p", ["PER", "LOC"])
    project.import_files([data])
    try:
        yield project
    finally:
        project.close()


def cfg(base: Path, **kw: object) -> TrainConfig:
    values = {
        "base_model": str(base),
        "epochs": 12,
        "batch_size": 4,
        "threads": 1,
        "max_length": 32,
        "stride": 8,
        "seed": 0,
        "lr": 1e-3,
    }
    values.update(kw)
    return TrainConfig(**values)


def test_review_ranks_corrupted_segments_first(noisy_project: Project, tiny_base: Path) -> None:
    events: list[object] = []
    result = noisy_project.review(4, cfg(tiny_base), on_event=events.append)
    corrupted = {s.id for s in noisy_project.segments(limit=CORRUPT)}
    assert result.segments == 40 and result.folds == 4 and len(result.items) == 40
    # the tiny model is weak: 2 of the 4 in the top 5 of 40 (a random order: 7 % of the time;
    # seeds 0-3 all give it, the other two land mid-list)
    ranks = sorted(n for n, i in enumerate(result.items) if i.segment_id in corrupted)
    assert sum(r < 5 for r in ranks) >= 2, ranks
    flagged = result.items[ranks[0]]
    assert any(
        x.kind == "wrong_label" and x.stored_label == "LOC" and x.predicted_label == "PER"
        for x in flagged.issues
    )
    progress = [e for e in events if isinstance(e, ProgressEvent)]
    assert progress[-1].done == 1000 and all(e.stage == "review" for e in progress)
    assert [e.done for e in progress] == sorted(e.done for e in progress)
    # the list is kept; fixing or confirming a segment takes it off
    pending = noisy_project.review_items()
    assert [p["segment_id"] for p in pending] == [i.segment_id for i in result.flagged]
    first = pending[0]["segment_id"]
    noisy_project.annotations.set_status(first, "labelled")
    assert first not in {p["segment_id"] for p in noisy_project.review_items()}


def test_review_needs_enough_data_and_can_be_cancelled(
    tmp_path: Path, tiny_base: Path, noisy_project: Project
) -> None:
    with (
        Project.create(tmp_path / "small", ["PER"]) as small,
        pytest.raises(ValidationError, match="at least 10"),
    ):
        small.review(5, cfg(tiny_base))
    with pytest.raises(ValidationError):
        noisy_project.review(1, cfg(tiny_base))
    token = CancelToken()
    timer = threading.Timer(0.5, token.cancel)
    timer.start()
    try:
        with pytest.raises(Cancelled):
            noisy_project.review(5, cfg(tiny_base, epochs=500), cancel=token)
    finally:
        timer.cancel()
    assert noisy_project.review_items() == []  # nothing stored


def test_cli_review_json(
    noisy_project: Project, tiny_base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(noisy_project.path)
    noisy_project.close()
    code, out, _ = run(
        capsys,
        "review",
        path,
        "--folds",
        "2",
        "--epochs",
        "2",
        "--base-model",
        str(tiny_base),
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"items"}
    for item in data["items"]:
        assert set(item) == {"segment_id", "document", "text", "score", "issues"}
        for issue in item["issues"]:
            assert set(issue) == {
                "kind",
                "start",
                "end",
                "stored_label",
                "predicted_label",
                "confidence",
            }
            assert 0 <= issue["start"] < issue["end"] <= len(item["text"])
    scores = [i["score"] for i in data["items"]]
    assert scores == sorted(scores, reverse=True)
    code, out, _ = run(
        capsys, "review", path, "--folds", "2", "--epochs", "1", "--base-model", str(tiny_base)
    )
    assert code == 0 and "reviewed 40 labelled segments with 2 fold models" in out
