"""Hostile base-model folders are refused before transformers parses them, naming the file:
huge config/tokenizer files and deeply nested JSON (which made ``train`` run > 600 s at 17.5 GB
and failed with "maximum recursion depth exceeded", naming nothing)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from engine.errors import ModelLoadError
from engine.models import base
from engine.models.base import resolve_base_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.engine.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "m", ["PER"])


def copy(tiny: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "hostile"
    shutil.copytree(tiny, dest)
    return dest


def test_huge_config_is_refused_by_size(tiny: Path, tmp_path: Path) -> None:
    folder = copy(tiny, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["padding"] = ["x" * 100] * 60_000  # 6 MB of valid JSON
    (folder / "config.json").write_text(json.dumps(config))
    t0 = time.perf_counter()
    with pytest.raises(ModelLoadError, match=r"config\.json is 6\.\d MB.*refusing"):
        resolve_base_model(str(folder))
    assert time.perf_counter() - t0 < 2


@pytest.mark.parametrize(
    "name", ["config.json", "tokenizer_config.json", "special_tokens_map.json"]
)
def test_deeply_nested_json_is_refused_naming_the_file(
    tiny: Path, tmp_path: Path, name: str
) -> None:
    folder = copy(tiny, tmp_path)
    path = folder / name
    if name == "config.json":
        config = json.loads(path.read_text())
        nested = "[" * 200_000 + "]" * 200_000
        path.write_text(json.dumps(config)[:-1] + ', "deep": ' + nested + "}")
    else:
        path.write_text('{"deep": ' + "[" * 100 + "]" * 100 + "}")
    with pytest.raises(ModelLoadError, match=rf"{name} is nested too deeply") as info:
        resolve_base_model(str(folder))
    assert str(path) in str(info.value)
    assert "recursion" not in str(info.value)


def test_oversized_tokenizer_is_refused(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy(tiny, tmp_path)
    size = (folder / "tokenizer.json").stat().st_size
    monkeypatch.setattr(base, "MAX_TOKENIZER_BYTES", size - 1)
    with pytest.raises(ModelLoadError, match=r"tokenizer\.json is .* MB"):
        resolve_base_model(str(folder))


def test_a_normal_folder_still_loads(tiny: Path) -> None:
    assert resolve_base_model(str(tiny)).folder == tiny
    assert base.json_depth({"a": [{"b": 1}]}) == 3
