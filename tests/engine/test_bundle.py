"""Training bundles, train-bundle (one and two gloo processes) and version import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.api import Project
from engine.cli.main import main
from engine.errors import FormatError, ModelLoadError, ValidationError
from engine.training import TrainConfig, train
from engine.training.bundle import read_bundle, train_bundle
from tests.engine.test_training import sentences
from tests.engine.tiny_model import build_tiny_model

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("base"), ["PER", "LOC"])


def tiny_config(base: Path, **overrides) -> TrainConfig:
    values = {
        "base_model": str(base),
        "epochs": 2,
        "batch_size": 4,
        "threads": 1,
        "max_length": 32,
        "stride": 8,
        "seed": 3,
    }
    return TrainConfig(**{**values, **overrides})


@pytest.fixture
def labelled(tmp_path: Path) -> Iterator[Project]:
    project = Project.create(tmp_path / "p", ["PER", "LOC"])
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in sentences(40)), encoding="utf-8")
    project.import_files([data])
    for n, seg in enumerate(project.segments(limit=100)):
        project.annotations.set_split(seg.id, "eval" if n < 10 else "train")
    try:
        yield project
    finally:
        project.close()


def test_bundle_round_trip_trains_the_same_model(
    labelled: Project, tiny_base: Path, tmp_path: Path
) -> None:
    bundle = labelled.write_bundle(tmp_path / "bundle", tiny_config(tiny_base))
    names = sorted(p.name for p in bundle.rglob("*"))
    assert not [n for n in names if "sqlite" in n]
    assert {"bundle.json", "train.jsonl", "eval.jsonl", "model.safetensors"} <= set(names)
    manifest, train_ex, eval_ex = read_bundle(bundle)
    snapshot = labelled.annotations.training_snapshot()
    assert (train_ex, eval_ex) == (list(snapshot.train), list(snapshot.eval))
    assert manifest["labels"] == ["PER", "LOC"] and manifest["config"]["seed"] == 3
    assert manifest["counts"] == {"train": 30, "eval": 10}

    meta = train_bundle(bundle, tmp_path / "v-remote", device="cpu")
    folder = tmp_path / "v-remote"
    assert {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "spantune.json",
        "metrics.json",
    } <= {p.name for p in folder.iterdir()}
    assert meta["config"]["device"] == "cpu" and meta["device"] == "cpu"
    assert meta["base_model"] == str(tiny_base)

    local = train(labelled, tiny_config(tiny_base))  # same data, config and seed at home
    assert meta["metrics"]["f1"] == pytest.approx(local.metrics["f1"], abs=1e-9)

    imported = labelled.import_version(folder)
    assert imported.active and imported.name == "v0002"
    assert imported.metrics["f1"] == meta["metrics"]["f1"]
    assert imported.config["device"] == "cpu"
    assert labelled.evaluate(imported.name)["f1"] == pytest.approx(meta["metrics"]["f1"])


def test_bundle_and_train_bundle_refuse_bad_input(
    labelled: Project, tiny_base: Path, tmp_path: Path
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ValidationError, match="not empty"):
        labelled.write_bundle(tmp_path / "full", tiny_config(tiny_base))
    bundle = labelled.write_bundle(tmp_path / "b", tiny_config(tiny_base))
    with pytest.raises(ValidationError, match="not empty"):
        train_bundle(bundle, tmp_path / "full")
    lines = (bundle / "train.jsonl").read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace('"LOC"', '"ORG"')
    (bundle / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"train\.jsonl:5: label 'ORG'"):
        train_bundle(bundle, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _version(tmp_path: Path, tiny_base: Path, labels: list[str], name: str) -> Path:
    from engine.training import train_examples
    from tests.engine.test_training import as_examples

    records = sentences(12)
    if labels != ["PER", "LOC"]:
        for r in records:
            r["spans"] = [
                {**s, "label": "ORG" if s["label"] == "LOC" else s["label"]} for s in r["spans"]
            ]
    base = tiny_base if labels == ["PER", "LOC"] else build_tiny_model(tmp_path / "b2", labels)
    out = tmp_path / name
    train_examples(as_examples(records), [], labels, tiny_config(base, epochs=1), out)
    return out


def test_import_refuses_wrong_labels_pickles_and_missing_files(
    labelled: Project, tiny_base: Path, tmp_path: Path
) -> None:
    before = sorted(p.name for p in labelled.models_dir.iterdir())
    wrong = _version(tmp_path, tiny_base, ["PER", "ORG"], "wrong")
    with pytest.raises(ValidationError, match="LOC missing; ORG not in the project"):
        labelled.import_version(wrong)

    good = _version(tmp_path, tiny_base, ["PER", "LOC"], "good")
    (good / "pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(ModelLoadError, match="pickled files"):
        labelled.import_version(good)
    (good / "pytorch_model.bin").unlink()

    (good / "model.safetensors").rename(tmp_path / "weights.safetensors")
    with pytest.raises(ModelLoadError, match="no safetensors weights"):
        labelled.import_version(good)
    (tmp_path / "weights.safetensors").rename(good / "model.safetensors")
    (good / "tokenizer.json").unlink()
    (good / "vocab.txt").unlink(missing_ok=True)
    with pytest.raises(ModelLoadError, match="no tokenizer"):
        labelled.import_version(good)
    with pytest.raises(ModelLoadError, match="not a folder"):
        labelled.import_version(tmp_path / "nothing-here")

    assert labelled.versions.get_all() == []
    assert sorted(p.name for p in labelled.models_dir.iterdir()) == before


def test_cli_bundle_train_bundle_import(
    labelled: Project, tiny_base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled.set_settings({"base_model": str(tiny_base)})
    path = str(labelled.path)
    labelled.close()
    assert main(["bundle", path, str(tmp_path / "b"), "--epochs", "1"]) == 0
    assert (
        main(
            ["train-bundle", str(tmp_path / "b"), str(tmp_path / "v"), "--device", "cpu", "--json"]
        )
        == 0
    )
    out = capsys.readouterr().out
    meta = json.loads(out[out.index("{") :])
    assert meta["config"]["epochs"] == 1 and meta["config"]["processes"] == 1
    assert main(["versions", path, "import", str(tmp_path / "v")]) == 0
    assert "as v0001 (active)" in capsys.readouterr().out
    assert (
        main(["train-bundle", str(tmp_path / "b"), str(tmp_path / "v2"), "--device", "cuda:7"]) == 1
    )
    assert "device cuda:7 is not available" in capsys.readouterr().err


@pytest.mark.slow  # about 45 s on 2 shared cores: three interpreters import torch
def test_two_gloo_processes_train_one_version(
    labelled: Project, tiny_base: Path, tmp_path: Path
) -> None:
    pytest.importorskip("accelerate")
    bundle = labelled.write_bundle(
        tmp_path / "b", tiny_config(tiny_base, batch_size=8, threads=None)
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine.cli.main",
            "train-bundle",
            str(bundle),
            str(tmp_path / "v"),
            "--device",
            "cpu",
            "--processes",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    meta = json.loads((tmp_path / "v" / "spantune.json").read_text(encoding="utf-8"))
    assert meta["config"]["processes"] == 2 and meta["config"]["device"] == "cpu"
    assert meta["metrics"]["f1"] is not None
    assert meta["metrics"]["training"]["steps"] == 2 * 4  # 30 rows, global batch 8, 2 epochs
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".v")] == []
