"""Training jobs end to end on a tiny model: versions, progress, cancel, failure, determinism."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.api import Project
from engine.errors import Cancelled, TrainingError
from engine.progress import CancelToken, TrainEvent
from engine.training import TrainConfig, evaluate, train, train_examples
from engine.types import LabelledExample, SpanData
from tests.engine.tiny_model import build_tiny_model

PEOPLE = ["john smith", "mary jones", "angela merkel", "john", "mary"]
PLACES = ["paris", "london", "berlin", "tokyo", "new york", "china", "germany", "france"]
TEMPLATES = [
    "{p} visited {l} yesterday",
    "{p} lives in {l}",
    "{p} works at the bank in {l}",
    "the president met {p} in {l} today",
    "in {l} , {p} said",
]


def sentences(n: int, seed: int = 0) -> list[dict]:
    """Distinct JSONL records ``{"text", "spans"}`` with one PER and one LOC span each."""
    combos = [(p, lo, t) for p in PEOPLE for lo in PLACES for t in TEMPLATES]
    out = []
    for person, place, template in random.Random(seed).sample(combos, n):
        text = template.format(p=person, l=place)
        p, lo = text.index(person), text.index(place)
        out.append(
            {
                "text": text,
                "spans": [
                    {"start": p, "end": p + len(person), "label": "PER"},
                    {"start": lo, "end": lo + len(place), "label": "LOC"},
                ],
            }
        )
    return out


def as_examples(records: list[dict], first_id: int = 0) -> list[LabelledExample]:
    return [
        LabelledExample(
            first_id + i,
            r["text"],
            tuple(SpanData(s["start"], s["end"], s["label"]) for s in r["spans"]),
        )
        for i, r in enumerate(records)
    ]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("base"), ["PER", "LOC"])


def config(base: Path, **overrides) -> TrainConfig:
    values = {
        "base_model": str(base),
        "epochs": 2,
        "batch_size": 4,
        "threads": 1,
        "max_length": 32,
        "stride": 8,
        "seed": 0,
    }
    values.update(overrides)
    return TrainConfig(**values)


@pytest.fixture
def labelled_project(tmp_path: Path) -> Iterator[Project]:
    project = Project.create(tmp_path / "p", ["PER", "LOC"])
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in sentences(40)), encoding="utf-8")
    project.import_files([data])
    for seg in project.segments(limit=10):
        project.annotations.set_split(seg.id, "eval")
    for seg in project.segments(offset=10, limit=100):
        project.annotations.set_split(seg.id, "train")
    try:
        yield project
    finally:
        project.close()


def model_dir_entries(project: Project) -> list[str]:
    return sorted(p.name for p in project.models_dir.iterdir())


def test_train_writes_and_registers_a_version(labelled_project: Project, tiny_base: Path) -> None:
    events: list[TrainEvent] = []
    result = train(labelled_project, config(tiny_base), on_event=events.append)
    assert result.version == "v0001"
    folder = Path(result.path)
    assert folder == labelled_project.models_dir / "v0001"
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "spantune.json",
        "metrics.json",
    ):
        assert (folder / name).is_file(), name
    assert not list(folder.glob("*.bin"))
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["architectures"] == ["BertForTokenClassification"]
    assert cfg["id2label"] == {"0": "O", "1": "B-PER", "2": "I-PER", "3": "B-LOC", "4": "I-LOC"}
    meta = json.loads((folder / "spantune.json").read_text())
    assert meta["labels"] == ["PER", "LOC"] and meta["decoding"] == "first-subtoken-bio"
    assert meta["max_length"] == 32 and meta["stride"] == 8
    assert meta["counts"]["train_sentences"] == 30 and meta["counts"]["eval_sentences"] == 10
    assert meta["counts"]["train_entities"] == 60
    assert meta["config"]["seed"] == 0 and meta["base_model"] == str(tiny_base)
    assert json.loads((folder / "metrics.json").read_text())["source"] == "eval split"
    assert set(result.metrics) >= {"precision", "recall", "f1", "per_label", "sentences"}
    assert result.metrics["sentences"] == 10
    assert set(result.metrics["per_label"]) == {"PER", "LOC"}
    active = labelled_project.versions.active()
    assert active is not None and active.name == "v0001"
    assert active.counts["train_sentences"] == 30
    [run] = labelled_project.versions.runs()
    assert run["status"] == "succeeded" and "epoch 2" in run["log"]
    assert events and events[-1].total_steps == result.metrics["training"]["steps"]
    assert any(e.eval_f1 is not None for e in events)
    assert model_dir_entries(labelled_project) == ["v0001"]
    assert result.to_dict()["counts"]["train_sentences"] == 30


def test_train_from_a_worker_thread_while_labelling(
    labelled_project: Project, tiny_base: Path
) -> None:
    box: dict = {}

    def work() -> None:
        try:
            box["result"] = train(labelled_project, config(tiny_base, epochs=3))
        except BaseException as exc:  # handed to the main thread's assert
            box["error"] = exc

    worker = threading.Thread(target=work)
    worker.start()
    seg = labelled_project.segments(offset=20, limit=1)[0]
    labelled_project.annotations.set_status(seg.id, "skipped")  # the person goes on editing
    worker.join(timeout=120)
    assert "error" not in box, box.get("error")
    assert box["result"].version == "v0001"


def test_warm_start_handles_a_new_label(
    labelled_project: Project, tiny_base: Path, tmp_path: Path
) -> None:
    first = train(labelled_project, config(tiny_base))
    extra = tmp_path / "org.jsonl"
    extra.write_text(
        json.dumps(
            {
                "text": "mary works at google",
                "spans": [
                    {"start": 0, "end": 4, "label": "PER"},
                    {"start": 14, "end": 20, "label": "ORG"},
                ],
            }
        ),
        encoding="utf-8",
    )
    labelled_project.import_files([extra])
    second = train(labelled_project, config(tiny_base, warm_start=True))
    assert (first.version, second.version) == ("v0001", "v0002")
    assert "warm start from v0001" in second.log[0]
    assert any("kept head rows for 5 tags" in line for line in second.log)
    meta = json.loads((Path(second.path) / "spantune.json").read_text())
    assert meta["labels"] == ["PER", "LOC", "ORG"]
    assert meta["tags"][-2:] == ["B-ORG", "I-ORG"]
    assert labelled_project.versions.active().name == "v0002"


def test_versions_can_be_activated_and_deleted(labelled_project: Project, tiny_base: Path) -> None:
    train(labelled_project, config(tiny_base, epochs=1))
    train(labelled_project, config(tiny_base, epochs=1))
    labelled_project.versions.activate("v0001")
    assert labelled_project.versions.active().name == "v0001"
    labelled_project.versions.delete("v0002")
    assert [v.name for v in labelled_project.versions.get_all()] == ["v0001"]
    assert model_dir_entries(labelled_project) == ["v0001"]


def test_cancel_stops_quickly_and_leaves_nothing(
    labelled_project: Project, tiny_base: Path
) -> None:
    token = CancelToken()
    first_step = threading.Event()
    cancelled_at: list[float] = []

    def on_event(event: object) -> None:
        if isinstance(event, TrainEvent) and event.step >= 1:
            first_step.set()

    def canceller() -> None:
        first_step.wait(60)
        cancelled_at.append(time.monotonic())
        token.cancel()

    thread = threading.Thread(target=canceller)
    thread.start()
    with pytest.raises(Cancelled):
        train(labelled_project, config(tiny_base, epochs=500), on_event=on_event, cancel=token)
    stopped = time.monotonic()
    thread.join()
    assert cancelled_at and stopped - cancelled_at[0] < 30.0  # cancelled, not finished
    assert labelled_project.versions.get_all() == []
    assert labelled_project.versions.active() is None
    assert model_dir_entries(labelled_project) == []
    [run] = labelled_project.versions.runs()
    assert run["status"] == "cancelled"


def test_failure_in_the_loop_is_a_training_error(
    labelled_project: Project, tiny_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.training import loop

    calls = {"n": 0}
    real = loop.collate

    def broken(rows, pad_id):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("simulated out of memory")
        return real(rows, pad_id)

    monkeypatch.setattr(loop, "collate", broken)
    with pytest.raises(TrainingError) as info:
        train(labelled_project, config(tiny_base))
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "simulated out of memory" in str(info.value)
    assert labelled_project.versions.get_all() == []
    assert model_dir_entries(labelled_project) == []
    [run] = labelled_project.versions.runs()
    assert run["status"] == "failed" and "simulated" in run["error"]


def test_bf16_falls_back_to_float32(tiny_base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.training.loop import FitLoop

    real = FitLoop._forward

    def forward(self, inputs):
        if self.bf16:
            raise RuntimeError("bf16 kernel missing")
        return real(self, inputs)

    monkeypatch.setattr(FitLoop, "_forward", forward)
    outcome = train_examples(
        as_examples(sentences(8)), [], ["PER", "LOC"], config(tiny_base, bf16=True, epochs=1)
    )
    assert outcome.config["bf16"] is False and outcome.metrics["training"]["steps"] == 2


def test_thread_governor_follows_other_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from engine.training import cpu

    clock = {"now": 0.0, "own": 0.0, "total": 0, "idle": 0}
    monkeypatch.setattr(cpu, "usable_cores", lambda: 2)
    monkeypatch.setattr(cpu.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(cpu.os, "sysconf", lambda name: 100)
    monkeypatch.setattr(cpu.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(cpu.time, "process_time", lambda: clock["own"])
    monkeypatch.setattr(cpu, "_cpu_times", lambda: (clock["total"], clock["idle"]))

    def advance(seconds: float, own_cores: float, other_cores: float) -> None:
        clock["now"] += seconds
        clock["own"] += seconds * own_cores
        clock["total"] += int(seconds * 200)
        clock["idle"] += int(seconds * 100 * (2 - own_cores - other_cores))

    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        governor = cpu.ThreadGovernor(2, interval=5.0)
        advance(2, 1.0, 1.0)
        assert governor.poll() is None  # not due yet
        advance(4, 1.0, 1.0)
        assert governor.poll() == 1 and torch.get_num_threads() == 1
        advance(6, 1.0, 0.0)
        assert governor.poll() == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_optimizer_learning_rates(tiny_base: Path) -> None:
    from engine.models import load_token_classifier
    from engine.training.loop import configure_model, make_optimizer

    model = load_token_classifier(tiny_base)
    cfg = TrainConfig(lr=1e-3, head_lr_scale=10.0, layer_decay=0.5)
    configure_model(model, cfg)
    optimizer = make_optimizer(model, cfg)
    lr_of = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    params = dict(model.named_parameters())
    assert lr_of[id(params["classifier.weight"])] == pytest.approx(1e-2)
    assert lr_of[id(params["bert.encoder.layer.1.output.dense.weight"])] == pytest.approx(1e-3)
    assert lr_of[id(params["bert.encoder.layer.0.output.dense.weight"])] == pytest.approx(5e-4)
    assert lr_of[id(params["bert.embeddings.LayerNorm.weight"])] == pytest.approx(2.5e-4)
    assert id(params["bert.embeddings.word_embeddings.weight"]) not in lr_of  # frozen
    decay = {id(p): g["weight_decay"] for g in optimizer.param_groups for p in g["params"]}
    assert decay[id(params["bert.encoder.layer.0.output.dense.bias"])] == 0.0


def test_no_labelled_data_is_a_clear_error(tmp_path: Path, tiny_base: Path) -> None:
    with Project.create(tmp_path / "empty", ["PER"]) as project:
        with pytest.raises(TrainingError, match="no labelled training segments"):
            train(project, config(tiny_base))
        assert project.versions.get_all() == []


def test_same_seed_same_metrics(tiny_base: Path) -> None:
    records = sentences(24, seed=3)
    train_set, eval_set = as_examples(records[:16]), as_examples(records[16:], 100)
    runs = [
        train_examples(train_set, eval_set, ["PER", "LOC"], config(tiny_base, epochs=3))
        for _ in range(2)
    ]
    assert runs[0].metrics["f1"] == runs[1].metrics["f1"]
    assert runs[0].metrics["training"]["loss"] == runs[1].metrics["training"]["loss"]
    other = train_examples(train_set, eval_set, ["PER", "LOC"], config(tiny_base, epochs=3, seed=1))
    assert other.metrics["training"]["loss"] != runs[0].metrics["training"]["loss"]


def test_without_eval_segments_no_scores_are_claimed(tiny_base: Path, tmp_path: Path) -> None:
    outcome = train_examples(
        as_examples(sentences(12)), [], ["PER", "LOC"], config(tiny_base), tmp_path / "out"
    )
    assert outcome.metrics["f1"] is None and "no evaluation segments" in outcome.metrics["message"]
    assert (tmp_path / "out" / "model.safetensors").is_file()


def test_time_limit_keeps_the_model(tiny_base: Path) -> None:
    outcome = train_examples(
        as_examples(sentences(12)),
        [],
        ["PER", "LOC"],
        config(tiny_base, epochs=10_000, max_minutes=0.02),
    )
    assert "time limit" in outcome.metrics["training"]["stopped"]


def test_evaluate_on_eval_split_and_on_a_gold_file(
    labelled_project: Project, tiny_base: Path, tmp_path: Path
) -> None:
    result = train(labelled_project, config(tiny_base, epochs=3))
    metrics = evaluate(labelled_project)
    assert metrics["source"] == "eval split" and metrics["sentences"] == 10
    assert metrics["f1"] == pytest.approx(result.metrics["f1"])
    lo, hi = metrics["f1_ci"]
    assert lo <= metrics["f1"] <= hi and metrics["f1_ci"] == result.metrics["f1_ci"]
    assert metrics["documents"] == result.metrics["documents"] >= 1
    assert metrics["split"] == result.metrics["split"]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in sentences(5, seed=9)), encoding="utf-8")
    on_file = evaluate(labelled_project, version="v0001", data=gold)
    assert on_file["source"] == str(gold) and on_file["sentences"] == 5
    assert set(on_file["per_label"]) >= {"PER", "LOC"}
    assert on_file["per_label"]["PER"]["support"] == 5


def test_evaluate_without_eval_segments_or_model(
    labelled_project: Project, tiny_base: Path
) -> None:
    from engine.errors import ValidationError

    with pytest.raises(ValidationError, match="no trained model"):
        evaluate(labelled_project)
    for seg in labelled_project.segments(limit=100):
        labelled_project.annotations.set_split(seg.id, "train")
    result = train(labelled_project, config(tiny_base, epochs=1))
    assert result.metrics["f1"] is None and result.metrics["sentences"] == 0
    metrics = evaluate(labelled_project)
    assert metrics["f1"] is None and "no evaluation segments" in metrics["message"]


def test_metrics_are_entity_level() -> None:
    from engine.training.evaluate import entity_metrics

    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-LOC", "O"]]
    m = entity_metrics(gold, pred, ["PER", "LOC", "ORG"], "test")
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["per_label"]["PER"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 1,
        "f1_ci": [0.0, 0.0],
    }
    assert m["per_label"]["LOC"]["f1"] == 1.0 and m["per_label"]["ORG"]["support"] == 0


@pytest.mark.slow
def test_bundled_encoder_learns(tmp_path: Path) -> None:
    from engine.training.evaluate import score_model

    records = sentences(48, seed=5)
    data = as_examples(records)
    outcome = train_examples(
        data, [], ["PER", "LOC"], TrainConfig(epochs=6, batch_size=8, seed=0, max_length=64)
    )
    trained = score_model(outcome.model, outcome.tokenizer, data, outcome.tags, source="train")
    from engine.models import fit_head, load_token_classifier, load_tokenizer
    from engine.models.base import resolve_base_model
    from engine.text.bio import tag_names

    folder = resolve_base_model("bundled").folder
    untrained = load_token_classifier(folder)
    fit_head(untrained, tag_names(["PER", "LOC"]))
    baseline = score_model(untrained, load_tokenizer(folder), data, outcome.tags, source="train")
    assert trained["f1"] > max(0.8, baseline["f1"] + 0.3)
