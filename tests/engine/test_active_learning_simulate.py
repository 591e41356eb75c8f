"""A tiny end-to-end simulation (tiny BERT base model, synthetic CoNLL files), plus the report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from engine.active_learning.simulate import simulate
from engine.active_learning.simulate_report import Row, summarise, tokens_to_reach
from engine.errors import Cancelled, ExportValidationError
from engine.progress import CancelToken, ProgressEvent
from tests.engine.tiny_model import build_tiny_model

PEOPLE = [["john", "smith"], ["mary", "jones"], ["angela", "merkel"], ["john"], ["mary"]]
PLACES = [["paris"], ["london"], ["berlin"], ["tokyo"], ["new", "york"], ["china"]]
ORGS = [["google"], ["apple"], ["the", "bank"]]
TEMPLATES = [
    ("P visited L", None),
    ("P works at O in L", None),
    ("the president of L said", None),
    ("P met P today", None),
    ("O said yesterday", None),
    ("the river in L", None),
]


def _sentence(rng: np.random.Generator) -> list[tuple[str, str]]:
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))][0]
    out: list[tuple[str, str]] = []
    for slot in template.split():
        kinds = {"P": ("PER", PEOPLE), "L": ("LOC", PLACES), "O": ("ORG", ORGS)}
        if slot in kinds:
            label, choices = kinds[slot]
            words = choices[int(rng.integers(len(choices)))]
            out += [(w, ("B-" if i == 0 else "I-") + label) for i, w in enumerate(words)]
        else:
            out.append((slot, "O"))
    return out


def write_conll(path: Path, n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    blocks = ["\n".join(f"{w} {t}" for w, t in _sentence(rng)) for _ in range(n)]
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("base") / "tiny", ("PER", "LOC", "ORG"))


def _config():  # noqa: ANN202
    from engine.training import TrainConfig

    return TrainConfig(epochs=2, batch_size=8, max_length=32, stride=8, patience=None)


@pytest.mark.slow
def test_tiny_simulation_end_to_end_and_resume(tmp_path: Path, tiny_base: Path) -> None:
    train = write_conll(tmp_path / "train.conll", 60, 0)
    test = write_conll(tmp_path / "test.conll", 20, 1)
    out = tmp_path / "sim"
    events: list[ProgressEvent] = []
    result = simulate(
        train,
        test,
        ["mnlp", "random"],
        1,
        seed_size=10,
        batch_size=8,
        rounds=2,
        out_dir=out,
        base_model=str(tiny_base),
        on_event=events.append,
        train_config=_config(),
    )
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [(r["strategy"], r["round"]) for r in rows] == [
        ("mnlp", "0"),
        ("mnlp", "1"),
        ("mnlp", "2"),
        ("random", "0"),
        ("random", "1"),
        ("random", "2"),
    ]
    assert [int(r["labelled_sentences"]) for r in rows] == [10, 18, 26] * 2
    assert rows[0]["f1"] == rows[3]["f1"]  # round 0 is shared
    assert all(0.0 <= float(r["f1"]) <= 1.0 for r in rows)
    assert result.rows == 6 and (out / "learning_curves.png").stat().st_size > 1000
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["strategies"]) == {"mnlp", "random"}
    assert "random's final F1" in result.summary
    assert any(e.stage == "simulate" for e in events)
    assert not (out / ".work").exists()
    # a rerun finds every row done: nothing is trained, nothing is appended
    again = simulate(
        train,
        test,
        ["mnlp", "random"],
        1,
        seed_size=10,
        batch_size=8,
        rounds=2,
        out_dir=out,
        base_model=str(tiny_base),
        train_config=_config(),
    )
    assert again.rows == 6


def test_simulation_cancel_keeps_finished_rounds(tmp_path: Path, tiny_base: Path) -> None:
    train = write_conll(tmp_path / "train.conll", 30, 0)
    test = write_conll(tmp_path / "test.conll", 10, 1)
    token = CancelToken()

    def stop_after_first_row(event: ProgressEvent) -> None:
        if event.stage == "train" and "r1" in event.message:
            token.cancel()

    with pytest.raises(Cancelled):
        simulate(
            train,
            test,
            ["random"],
            1,
            seed_size=8,
            batch_size=4,
            rounds=3,
            out_dir=tmp_path / "sim",
            base_model=str(tiny_base),
            on_event=stop_after_first_row,
            cancel=token,
            train_config=_config(),
        )
    rows = list(csv.DictReader((tmp_path / "sim" / "results.csv").open()))
    assert [r["round"] for r in rows] == ["0"]


def test_simulation_scores_with_torch_when_export_is_refused(
    tmp_path: Path, tiny_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.export.exporter as export

    def refuse(*args: object, **kwargs: object) -> None:
        raise ExportValidationError("too far from torch")

    monkeypatch.setattr(export, "export_model", refuse)
    train = write_conll(tmp_path / "train.conll", 30, 0)
    test = write_conll(tmp_path / "test.conll", 10, 1)
    result = simulate(
        train,
        test,
        ["mnlp"],
        [3],
        seed_size=8,
        batch_size=4,
        rounds=1,
        out_dir=tmp_path / "sim",
        base_model=str(tiny_base),
        train_config=_config(),
    )
    assert result.rows == 2
    picked = json.loads((tmp_path / "sim" / "selections.jsonl").read_text())
    assert picked["seed"] == 3 and len(picked["indices"]) == 4


def test_tokens_to_reach_interpolates() -> None:
    curve = {"f1": [0.2, 0.5, 0.8], "tokens": [100.0, 200.0, 300.0]}
    assert tokens_to_reach(curve, 0.65) == pytest.approx(250.0)
    assert tokens_to_reach(curve, 0.1) == 100.0
    assert tokens_to_reach(curve, 0.9) is None


def test_summary_compares_with_random() -> None:
    rows = [
        Row("random", s, r, 100 * (r + 1), 1000 * (r + 1), 0.3 + 0.1 * r, 0, 0, 1)
        for s in (0, 1)
        for r in range(3)
    ]
    rows += [
        Row("mnlp", s, r, 100 * (r + 1), 800 * (r + 1), 0.3 + 0.15 * r, 0, 0, 1)
        for s in (0, 1)
        for r in range(3)
    ]
    summary = summarise(rows)
    assert summary["target_f1"] == pytest.approx(0.5)
    mnlp = summary["strategies"]["mnlp"]
    assert mnlp["tokens_to_reach_target"] == pytest.approx(1600 + 800 / 3)  # between rounds
    assert mnlp["token_ratio_vs_baseline"] < 1.0
