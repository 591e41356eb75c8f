"""ONNX export of a tiny model version: layout, validation, atomicity, cancel, model card."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from engine.errors import Cancelled, ExportValidationError, ValidationError
from engine.export import exporter as export_module
from engine.export.exporter import STAGES, ExportResult, export_model
from engine.inference.predictor import Predictor
from engine.progress import CancelToken, ProgressEvent
from tests.engine.tiny_model import build_tiny_model

META = {
    "labels": ["PER", "LOC", "ORG"],
    "max_length": 16,
    "stride": 4,
    "base_model": "tiny-bert",
    "counts": {"train": 12, "eval": 3},
    "metrics": {"f1": 0.5, "precision": 0.4, "recall": 0.6},
    "decoding": "first-subtoken-bio",
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "v0001", spantune=META)


@pytest.fixture(scope="module")
def exported(
    source: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ExportResult, list[ProgressEvent]]:
    events: list[ProgressEvent] = []
    out = tmp_path_factory.mktemp("exports") / "v0001-onnx"
    result = export_model(source, out, on_event=events.append, sample_texts=["Mary in Paris"])
    return result, events


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_export_layout_and_metadata(exported: tuple[ExportResult, list[ProgressEvent]]) -> None:
    result, events = exported
    folder = result.path
    files = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert files == {
        "config.json", "tokenizer.json", "tokenizer_config.json", "model.onnx", "onnx/model.onnx",
        "onnx/model_quantized.onnx", "head.npz", "spantune.json", "README.md",
    }  # fmt: skip
    assert _leftovers(folder.parent) == []
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["BertForTokenClassification"]
    assert config["id2label"]["1"] == "B-PER" and config["label2id"]["I-ORG"] == 6
    meta = json.loads((folder / "spantune.json").read_text())
    assert {k: meta[k] for k in META} == META
    export = meta["export"]
    assert export["validation"]["max_abs_logit_diff"] <= 1e-4
    assert export["validation"]["windows"] > export["validation"]["texts"]  # long text windowed
    quant = export["quantization"]
    assert quant["per_channel"] is True and quant["weight_type"] == "QInt8"
    assert quant["nodes_excluded"] == ["/model/classifier/MatMul"]
    assert 0.9 <= quant["token_argmax_agreement"] <= 1 and 0.8 <= quant["entity_agreement"] <= 1
    assert result.max_abs_logit_diff <= 1e-4 and result.quantized
    assert result.token_argmax_agreement == quant["token_argmax_agreement"]
    head = np.load(folder / "head.npz")
    assert head["weight"].shape == (7, 32) and head["weight"].dtype == np.float32
    assert [e.stage for e in events] == [*STAGES, "write"]
    assert events[-1].done == events[-1].total


def test_onnx_graph_interface(exported: tuple[ExportResult, list[ProgressEvent]]) -> None:
    import onnx

    folder = exported[0].path
    graph = onnx.load(str(folder / "model.onnx")).graph
    inputs = {i.name: [d.dim_param for d in i.type.tensor_type.shape.dim] for i in graph.input}
    assert inputs == {
        n: ["batch", "sequence"] for n in ("input_ids", "attention_mask", "token_type_ids")
    }
    assert [o.name for o in graph.output] == ["logits", "last_hidden_state"]
    assert (folder / "onnx/model.onnx").read_bytes() == (folder / "model.onnx").read_bytes()
    quant = onnx.load(str(folder / "onnx/model_quantized.onnx")).graph
    ops = {n.op_type for n in quant.node}
    # static QDQ: fixed activation scales (no DynamicQuantizeLinear), int8 embedding table
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops and "DynamicQuantizeLinear" not in ops
    table = next(i for i in quant.initializer
                 if i.name.endswith("word_embeddings.weight_quantized"))
    assert table.data_type in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)
    assert any(n.name == "/model/classifier/MatMul" and n.op_type == "MatMul" for n in quant.node)


def test_readme_snippet_runs(
    exported: tuple[ExportResult, list[ProgressEvent]], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = exported[0].path
    readme = (folder / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", readme, re.S)
    assert snippet is not None and len(snippet.group(1).strip().splitlines()) <= 10
    monkeypatch.chdir(folder)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippet.group(1), "README.md", "exec"), {})
    assert "('[CLS]'," in out.getvalue() and "merkel" in out.getvalue()


def test_refuses_non_empty_target_and_overwrites_whole(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(ValidationError, match="already holds files"):
        export_model(source, target, quantize=False)
    assert (target / "keep.txt").exists() and _leftovers(tmp_path) == []
    export_model(source, target, quantize=False, overwrite=True)
    assert not (target / "keep.txt").exists() and (target / "model.onnx").exists()
    assert not (target / "onnx/model_quantized.onnx").exists()
    assert _leftovers(tmp_path) == []
    Predictor(target).predict(["John Smith"])  # falls back to fp32


@pytest.mark.parametrize("stage", ["export", "validate", "quantize", "write"])
def test_cancel_leaves_nothing_behind(source: Path, tmp_path: Path, stage: str) -> None:
    token = CancelToken()

    def on_event(event: ProgressEvent) -> None:
        if event.stage == stage:
            token.cancel()

    with pytest.raises(Cancelled):
        export_model(source, tmp_path / "out", on_event=on_event, cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_validation_failure_writes_nothing(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = export_module._torch_runner

    def drifting(wrapper, names):  # type: ignore[no-untyped-def]
        run = real(wrapper, names)
        return lambda batch: (run(batch)[0] + 1e-3, run(batch)[1])

    monkeypatch.setattr(export_module, "_torch_runner", drifting)
    with pytest.raises(ExportValidationError, match="differs from torch"):
        export_model(source, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_export_without_spantune_json_uses_defaults(tmp_path: Path) -> None:
    source = build_tiny_model(tmp_path / "src")
    result = export_model(source, tmp_path / "out", quantize=False)
    meta = json.loads((result.path / "spantune.json").read_text())
    assert meta["labels"] == ["PER", "LOC", "ORG"] and meta["max_length"] == 256
    assert meta["stride"] == 64 and meta["export"]["quantization"] is None
    assert result.token_argmax_agreement is None


def test_optimum_loads_the_folder(exported: tuple[ExportResult, list[ProgressEvent]]) -> None:
    ort_model = pytest.importorskip("optimum.onnxruntime")
    from transformers import AutoTokenizer

    folder = exported[0].path
    model = ort_model.ORTModelForTokenClassification.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    logits = model(**tok(["John Smith lives in Paris"], return_tensors="pt")).logits
    assert logits.shape[-1] == 7


class _FixedPredictor:
    """Stands in for the ONNX side of check_parity: one batch, fixed outputs."""

    def __init__(self, logits: np.ndarray) -> None:
        self.logits = logits

    def model_inputs(self, texts, batch_size):  # type: ignore[no-untyped-def]
        yield {"input_ids": np.zeros(self.logits.shape[:2], dtype=np.int64)}

    def run(self, batch, hidden=False):  # type: ignore[no-untyped-def]
        return {"logits": self.logits, "last_hidden_state": np.zeros((*self.logits.shape[:2], 4))}


@pytest.mark.parametrize(
    ("scale", "drift", "passes"),
    [
        (15.0, 1.6e-4, True),  # a real model's large logits: float32 rounding, not a bad export
        (15.0, 5e-3, False),
        (0.01, 1.6e-4, False),  # near zero only the absolute bound applies
        (0.01, 5e-5, True),
    ],
)
def test_parity_tolerance_is_relative_to_the_logit(scale: float, drift: float,
                                                   passes: bool) -> None:
    from engine.export.validate import check_parity

    want = np.full((1, 3, 5), scale, dtype=np.float64)
    fake = _FixedPredictor(want + drift)
    hidden = np.zeros((1, 3, 4))
    run = lambda batch: (want, hidden)  # noqa: E731
    if passes:
        report = check_parity(run, fake, ["x"])  # type: ignore[arg-type]
        assert report.max_abs_logit_diff == pytest.approx(drift)
        assert report.logit_tolerance_used <= 1.0
    else:
        with pytest.raises(ExportValidationError, match="differs from torch"):
            check_parity(run, fake, ["x"])  # type: ignore[arg-type]


def test_a_kill_between_the_renames_gets_the_old_export_back(tmp_path: Path) -> None:
    from engine.export.folder import recover_leftovers, target_lock

    target = tmp_path / "out"
    old = tmp_path / ".out.old-1234abcd"  # a previous export renamed aside, then the kill
    old.mkdir()
    (old / "model.onnx").write_bytes(b"old")
    stale = tmp_path / ".out.staging-xyz.tmp"
    stale.mkdir()
    other = tmp_path / ".out.x.staging-abc.tmp"  # another target's build: not ours to touch
    other.mkdir()
    with target_lock(target):
        assert (target / "model.onnx").read_bytes() == b"old"
        assert not old.exists() and not stale.exists() and other.exists()
        assert (tmp_path / ".out.lock").exists()
    assert not (tmp_path / ".out.lock").exists()
    assert recover_leftovers(target) == []


def test_two_writers_of_one_export_folder_are_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    from engine.export.folder import target_lock

    target = tmp_path / "out"
    with target_lock(target):
        code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]); "
                "from engine.export.folder import target_lock\n"
                "with target_lock(Path(sys.argv[1])): pass")
        done = subprocess.run([sys.executable, "-c", code, str(target),
                               str(Path(__file__).resolve().parents[2])],
                              capture_output=True, text=True)
        assert done.returncode != 0 and "another process is writing" in done.stderr
    with target_lock(target):  # free again once released
        pass
