"""Per-token int8 (engine.export.per_token) against a NumPy reference of its arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from engine.export.convert import quantize_int8  # noqa: E402
from engine.export.per_token import quantize_int8_per_token  # noqa: E402

K, N, VOCAB = 48, 24, 40


def _graph(path: Path) -> dict[str, np.ndarray]:
    """y = x·W1 + b and z = x·W2 (sharing x, like Q/K/V), emb = table[input_ids]."""
    rng = np.random.default_rng(0)
    weights = {
        "w1": rng.normal(0, 0.2, (K, N)).astype(np.float32),
        "w2": rng.normal(0, 0.2, (K, N)).astype(np.float32),
        "b": rng.normal(0, 1.0, N).astype(np.float32),
        "table": rng.normal(0, 0.5, (VOCAB, K)).astype(np.float32),
    }
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="dense1"),
        helper.make_node("Add", ["h", "b"], ["y"], name="bias1"),
        helper.make_node("MatMul", ["x", "w2"], ["z"], name="dense2"),
        helper.make_node("Gather", ["table", "input_ids"], ["emb"], name="lookup", axis=0),
    ]
    dims = ["batch", "sequence"]
    graph = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [*dims, K]),
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, dims),
        ],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [*dims, N]),
            helper.make_tensor_value_info("z", TensorProto.FLOAT, [*dims, N]),
            helper.make_tensor_value_info("emb", TensorProto.FLOAT, [*dims, K]),
        ],
        [numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return weights


def _run(path: Path, x: np.ndarray, ids: np.ndarray) -> list[np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return [np.asarray(a) for a in session.run(["y", "z", "emb"], {"x": x, "input_ids": ids})]


def _reference(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The per-token arithmetic: u8 rows with their own symmetric scale, s8 columns."""
    ws = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127
    wq = np.clip(np.rint(w / ws), -127, 127)
    s = np.maximum(np.abs(x).max(axis=-1, keepdims=True) * np.float32(1 / 127), 1e-12)
    xq = np.clip(np.rint(x / s), -128, 127)  # QuantizeLinear: round half to even, saturate
    acc = xq.astype(np.float64) @ wq.astype(np.float64)
    return (acc * ws * s).astype(np.float32)


def _inputs(rng: np.random.Generator, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(0, 1, (batch, length, K)).astype(np.float32)
    return x, rng.integers(0, VOCAB, (batch, length)).astype(np.int64)


def test_per_token_int8_computes_the_reference_and_keeps_the_bias_unscaled(
    tmp_path: Path,
) -> None:
    weights = _graph(tmp_path / "fp32.onnx")
    quantize_int8_per_token(tmp_path / "fp32.onnx", tmp_path / "int8.onnx")
    rng = np.random.default_rng(1)
    x, ids = _inputs(rng, 3, 7)
    x[1, 2] *= 40  # one token with outliers
    y, z, emb = _run(tmp_path / "int8.onnx", x, ids)
    # onnxruntime fuses the graph into MatMulIntegerToFloat; its result must be the arithmetic
    # above, with the bias added after the per-token scale (not scaled with it)
    np.testing.assert_allclose(y, _reference(x, weights["w1"]) + weights["b"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(z, _reference(x, weights["w2"]), rtol=1e-5, atol=1e-5)
    fp32 = _run(tmp_path / "fp32.onnx", x, ids)
    assert np.abs(y - fp32[0]).max() < 0.05 * np.abs(fp32[0]).max()  # and close to fp32
    table = weights["table"]
    row_step = np.abs(table).max(axis=1) / 127
    assert (np.abs(emb - table[ids]) <= row_step[ids][..., None] / 2 + 1e-6).all()
    model = onnx.load(str(tmp_path / "int8.onnx"))
    assert {n.domain for n in model.graph.node} == {""}  # standard ONNX ops only
    assert [t.data_type for t in model.graph.initializer if t.name == "table"] == []


def test_a_token_gets_the_same_int8_output_whatever_it_is_batched_with(tmp_path: Path) -> None:
    _graph(tmp_path / "fp32.onnx")
    quantize_int8_per_token(tmp_path / "fp32.onnx", tmp_path / "per_token.onnx")
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "dynamic.onnx")
    rng = np.random.default_rng(2)
    alone, ids = _inputs(rng, 1, 5)
    others, other_ids = _inputs(rng, 4, 5)
    others[2] *= 30  # a neighbour with a much wider range
    batch = np.concatenate([alone, others])
    batch_ids = np.concatenate([ids, other_ids])
    for name in ("y", "z", "emb"):
        i = ["y", "z", "emb"].index(name)
        single = _run(tmp_path / "per_token.onnx", alone, ids)[i]
        batched = _run(tmp_path / "per_token.onnx", batch, batch_ids)[i][:1]
        np.testing.assert_array_equal(single, batched)
    # the check has teeth: dynamic int8 (one scale per batch) changes with the neighbours
    single = _run(tmp_path / "dynamic.onnx", alone, ids)[0]
    batched = _run(tmp_path / "dynamic.onnx", batch, batch_ids)[0][:1]
    assert not np.array_equal(single, batched)
