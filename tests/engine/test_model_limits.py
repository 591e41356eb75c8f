"""Base models: windows never exceed the position embeddings; unusable folders refused early."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import ValidationError
from engine.inference.windows import clamp_window, position_limit
from engine.training import TrainConfig, train_examples
from engine.training.evaluate import score_model
from engine.types import LabelledExample, SpanData
from tests.engine.tiny_model import build_tiny_model


def _long_examples(n: int) -> list[LabelledExample]:
    out = []
    for i in range(n):
        text = " ".join(["john smith visited paris yesterday"] * (6 + i % 3))
        spans = tuple(SpanData(k * 35, k * 35 + 10, "PER") for k in range(6 + i % 3))
        out.append(LabelledExample(i, text, spans))
    return out


def test_position_limit() -> None:
    assert position_limit({"max_position_embeddings": 128, "model_type": "bert"}) == 128
    assert (
        position_limit({"max_position_embeddings": 514, "model_type": "roberta", "pad_token_id": 1})
        == 512
    )
    assert position_limit({"model_type": "bert"}) is None
    assert clamp_window(256, {"max_position_embeddings": 128}) == 128


def test_training_evaluation_and_export_stay_inside_the_positions(tmp_path: Path) -> None:
    from engine.export.exporter import export_model
    from engine.inference.predictor import Predictor

    base = build_tiny_model(tmp_path / "base", ["PER"], max_position_embeddings=24)
    examples = _long_examples(8)  # ~40 sub-tokens each: longer than 24 positions
    config = TrainConfig(
        base_model=str(base), epochs=1, batch_size=4, threads=1, max_length=64, stride=8, seed=0
    )
    outcome = train_examples(examples[:6], examples[6:], ["PER"], config, tmp_path / "v")
    assert outcome.config["max_length"] == 24 and outcome.metrics["f1"] is not None
    meta = json.loads((tmp_path / "v" / "spantune.json").read_text())
    assert meta["max_length"] == 24
    scored = score_model(
        outcome.model,
        outcome.tokenizer,
        examples,
        outcome.tags,
        source="gold",
        max_length=256,
        stride=32,
    )
    assert scored["sentences"] == 8
    meta["max_length"] = 256  # an older version's metadata: export must still clamp
    (tmp_path / "v" / "spantune.json").write_text(json.dumps(meta))
    result = export_model(tmp_path / "v", tmp_path / "onnx", quantize=False)
    assert json.loads((result.path / "spantune.json").read_text())["max_length"] == 24
    predictor = Predictor(result.path, quantized=False)
    assert predictor.max_length == 24
    assert len(predictor.predict([examples[0].text])) == 1


def test_unusable_base_models_are_refused_at_init_and_settings(tmp_path: Path) -> None:
    from engine.api import Project

    pickled = tmp_path / "pickled"
    build_tiny_model(pickled, ["PER"])
    for f in pickled.glob("*.safetensors"):
        f.unlink()
    (pickled / "pytorch_model.bin").write_bytes(b"not loaded")
    custom = tmp_path / "custom"
    build_tiny_model(custom, ["PER"])
    cfg = json.loads((custom / "config.json").read_text())
    cfg.update(model_type="my-secret-arch", auto_map={"AutoModel": "modeling_x.XModel"})
    (custom / "config.json").write_text(json.dumps(cfg))
    for folder, message in ((pickled, "safetensors"), (custom, "custom code")):
        with pytest.raises(ValidationError, match=message):
            Project.create(
                tmp_path / f"p-{folder.name}", ["PER"], settings={"base_model": str(folder)}
            )
        with Project.create(tmp_path / f"q-{folder.name}", ["PER"]) as project:
            with pytest.raises(ValidationError, match=message):
                project.set_setting("base_model", str(folder))
            assert project.setting("base_model") == "bundled"
