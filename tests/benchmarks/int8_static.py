"""Static (calibrated) QDQ int8: the export's recipe before per-token int8, kept to compare.

``bench_inference.py`` builds these side by side with per-token and dynamic int8. Not used by
the engine: per-token int8 (``engine.export.per_token``) replaced it as measured there.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.export.convert import _graph, classifier_nodes, quiet_quantizer

# Exported versions: static (calibrated) QDQ int8. Activation scales are fixed at export time
# from the project's own segments, so a sentence's int8 output no longer depends on what is
# batched with it (dynamic quantisation takes one scale per padded batch). Weights per channel,
# u8 activations / s8 weights with reduce_range (AVX2 CPUs without VNNI saturate otherwise);
# MatMul/Gemm and the word-embedding Gather; the classifier stays fp32. Attention's
# activation×activation MatMuls are quantised too: the QDQ quantiser ignores MatMulConstBOnly,
# and keeping them fp32 (``matmul_const_b_only``) measured worse on the full CoNLL test set
# (-0.68 against -0.30 F1 points, 377 against 358 sent/s). Measured on MiniLM fine-tuned on
# 300 CoNLL sentences (1000 test sentences, fp32 F1 0.5771): everything static with MinMax
# ranges lost 2.50 F1 points (the embedding table costs nothing: 2.59 without it); percentile
# ranges 16.9; the loss sits in the feed-forward output MatMul, whose input (after GELU) has a
# long tail: keeping those MatMuls fp32 gave -0.37, and with moving-average ranges +0.07
# (33.6 MB against 58.7 MB for dynamic int8 with an fp32 embedding table). Those six fp32
# MatMuls are why static runs at about 2/3 of dynamic's speed; quantising them is faster than
# dynamic (638 against 569 sent/s) but costs 3.9 points, 0.0-1.4 more per layer quantised
# alone, and SmoothQuant-style channel scaling (alpha 0.5/0.75) did not recover it (-4.3/-3.7).
STATIC_QUANTIZATION: dict[str, Any] = {
    "method": "onnxruntime.quantization.quantize_static",
    "format": "QDQ",
    "activation_type": "QUInt8",
    "weight_type": "QInt8",
    "per_channel": True,
    "reduce_range": True,
    "calibrate_method": "MinMax",
    "op_types": ["MatMul", "Gemm", "Gather"],
    "matmul_const_b_only": False,
    "exclude_classifier": True,
    "exclude_after_activation": True,
    "extra_options": {"CalibMovingAverage": True},
}


def _activation_matmuls(graph: Any) -> list[str]:
    """MatMul nodes with no constant operand (attention's Q·Kᵀ and softmax·V), excluded when a
    recipe sets ``matmul_const_b_only``: the QDQ quantiser ignores ``MatMulConstBOnly``."""
    constant = {t.name for t in graph.initializer}
    constant |= {out for node in graph.node if node.op_type == "Constant" for out in node.output}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and not any(i in constant for i in node.input)
    ]


_ACTIVATIONS = frozenset({"Erf", "Gelu", "FastGelu", "BiasGelu", "Tanh", "Sigmoid", "Relu"})


def _after_activation(graph: Any) -> list[str]:
    """MatMul/Gemm nodes fed (within four nodes) by a non-linearity: the feed-forward output
    layers, whose long-tailed inputs one static scale cannot cover."""
    producer = {out: node for node in graph.node for out in node.output}
    found = []
    for node in graph.node:
        if node.op_type not in ("MatMul", "Gemm") or not node.input:
            continue
        frontier, hit = [node.input[0]], False
        for _ in range(4):  # GELU as exported: x * 0.5 * (1 + erf(x / sqrt 2))
            nodes = [producer[t] for t in frontier if t in producer]
            if any(n.op_type in _ACTIVATIONS for n in nodes):
                hit = True
                break
            frontier = [i for n in nodes for i in n.input]
        if hit:
            found.append(node.name)
    return found


class BatchReader:
    """An onnxruntime ``CalibrationDataReader`` over ready model-input batches."""

    def __init__(self, batches: Sequence[dict[str, Any]]) -> None:
        self._batches = list(batches)
        self._next = 0

    def get_next(self) -> dict[str, Any] | None:
        if self._next >= len(self._batches):
            return None
        self._next += 1
        return self._batches[self._next - 1]

    def rewind(self) -> None:
        self._next = 0

    def __len__(self) -> int:
        return len(self._batches)


def quantize_int8_static(
    fp32_path: Path,
    int8_path: Path,
    batches: Sequence[dict[str, Any]],
    recipe: dict[str, Any] | None = None,
) -> list[str]:
    """Static QDQ int8 of ``fp32_path`` calibrated on ``batches`` (model inputs); return the
    excluded nodes. ``recipe`` overrides :data:`STATIC_QUANTIZATION` keys (benchmarks)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    recipe = {**STATIC_QUANTIZATION, **(recipe or {})}
    if not batches:
        raise ValueError("static quantisation needs calibration batches")
    graph = _graph(fp32_path)
    excluded = classifier_nodes(graph) if recipe["exclude_classifier"] else []
    if recipe.get("exclude_after_activation"):
        excluded += _after_activation(graph)
    if recipe["matmul_const_b_only"]:
        excluded += _activation_matmuls(graph)
    patterns = recipe.get("exclude_patterns") or []
    excluded += [n.name for n in graph.node if any(p in n.name for p in patterns)]
    del graph  # the quantiser loads the model itself
    with quiet_quantizer():
        quantize_static(
            str(fp32_path),
            str(int8_path),
            BatchReader(batches),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=recipe["op_types"],
            per_channel=recipe["per_channel"],
            reduce_range=recipe["reduce_range"],
            activation_type=getattr(QuantType, recipe["activation_type"]),
            weight_type=getattr(QuantType, recipe["weight_type"]),
            nodes_to_exclude=excluded,
            calibrate_method=getattr(CalibrationMethod, recipe["calibrate_method"]),
            extra_options={
                "MatMulConstBOnly": recipe["matmul_const_b_only"],
                **recipe.get("extra_options", {}),
            },
        )
    return excluded
