"""Per-token int8: every token's activations get their own scale, computed at run time.

The export's int8 recipe. Each MatMul with a constant weight (and the word-embedding table)
is rewritten in standard ONNX ops:

    x ─ Reshape[-1,K] ─ Abs ─ ReduceMax(row) ─ ·1/127 ─ s   (one scale per token)
    x ─ Reshape[-1,K] ─ QuantizeLinear(s, zero point 128, per row) ─ MatMulInteger(W int8)
      ─ Cast ─ Mul(s · w_scale) ─ Reshape[..., N]

Weights are int8 per output channel (symmetric); activations u8 with zero point 128
(symmetric, so the zero point is one scalar, as MatMulInteger requires). A token's integer
product depends only on its own row, so its output no longer depends on what it is batched
with (dynamic quantisation takes one scale over the whole padded batch), and no calibration
sample is needed (static quantisation fixes one scale per tensor, which the long-tailed
feed-forward output after GELU cannot take: that layer had to stay fp32 there). onnxruntime
fuses MatMulInteger·Cast·Mul into its MatMulIntegerToFloat kernel, so it runs about as fast
as dynamic int8. The ``Reshape`` after the ``Mul`` keeps the bias ``Add`` out of that fusion:
the kernel applies a per-row scale after its bias, which would scale the bias too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.export.convert import classifier_nodes

# Measured on MiniLM fine-tuned on 300 CoNLL sentences (all 3453 test sentences, 2 cores):
# see tests/benchmarks/bench_inference.py and README "Exported models".
PER_TOKEN_QUANTIZATION: dict[str, Any] = {
    "method": "spantune.per_token_int8",
    "activations": "u8, one symmetric scale per token (row max |x| / 127), zero point 128",
    "weights": "s8, one symmetric scale per output channel",
    "op_types": ["MatMul", "Gather"],
    "embedding_table": "s8, one scale per row",
    "exclude_classifier": True,
    "batch_independent": True,
}


def quantize_int8_per_token(fp32_path: Path, int8_path: Path) -> list[str]:
    """Write the per-token int8 form of ``fp32_path`` to ``int8_path``; return the nodes kept
    fp32 (the classifier, as in every Spantune int8 recipe)."""
    import onnx

    model = onnx.load(str(fp32_path))
    graph = model.graph
    keep = set(classifier_nodes(graph))
    weights = {t.name: t for t in graph.initializer}
    rewriter = _Rewriter(weights)
    nodes: list[Any] = []
    for node in graph.node:
        table = weights.get(node.input[0]) if node.input else None
        weight = weights.get(node.input[1]) if len(node.input) > 1 else None
        if (
            node.op_type == "MatMul"
            and node.name not in keep
            and weight is not None
            and len(weight.dims) == 2
        ):
            nodes += rewriter.matmul(node, weight)
        elif (
            node.op_type == "Gather"
            and table is not None
            and len(table.dims) == 2
            and node.input[1] == "input_ids"  # the word-embedding lookup
            and all(a.i == 0 for a in node.attribute if a.name == "axis")
        ):
            nodes += rewriter.gather(node, table)
        else:
            nodes.append(node)
    used = {name for node in nodes for name in node.input}
    kept = [t for t in graph.initializer if t.name not in rewriter.replaced or t.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + rewriter.initializers)
    onnx.checker.check_model(model)
    onnx.save(model, str(int8_path))
    return sorted(keep)


class _Rewriter:
    """Builds the replacement nodes; one quantisation per distinct input (Q, K and V share it)."""

    def __init__(self, weights: dict[str, Any]) -> None:
        from onnx import helper, numpy_helper

        self._helper, self._numpy_helper = helper, numpy_helper
        self._weights = weights
        self.initializers: list[Any] = []
        self.replaced: set[str] = set()
        self._quantized: dict[str, str] = {}
        self._count = 0
        self._const("pt_inv127", np.float32(1 / 127))
        self._const("pt_tiny", np.float32(1e-12))  # an all-zero row still gets a valid scale
        self._const("pt_zp", np.uint8(128))
        self._const("pt_flat", np.array([-1], np.int64))
        self._const("pt_first", np.array([0], np.int64))
        self._const("pt_last", np.array([-1], np.int64))

    def _const(self, name: str, value: Any) -> str:
        self.initializers.append(self._numpy_helper.from_array(np.asarray(value), name))
        return name

    def _node(
        self, op: str, inputs: list[str], output: str, name: str | None = None, **attrs: Any
    ) -> Any:
        return self._helper.make_node(op, inputs, [output], name=name or output, **attrs)

    def _per_channel(self, name: str, axis: int) -> tuple[Any, Any]:
        w = self._numpy_helper.to_array(self._weights[name]).astype(np.float32)
        scale = np.maximum(np.abs(w).max(axis=axis, keepdims=True), 1e-12) / 127
        quantized = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
        self.replaced.add(name)
        return quantized, scale.astype(np.float32)

    def matmul(self, node: Any, weight: Any) -> list[Any]:
        from onnx import TensorProto

        k, n = (int(d) for d in weight.dims)
        wq, ws = self._per_channel(weight.name, axis=0)
        p = f"pt{self._count}"
        self._count += 1
        self._const(f"{p}_wq", wq)
        self._const(f"{p}_ws", ws.reshape(n))
        self._const(f"{p}_n", np.array([n], np.int64))
        source = node.input[0]
        nodes = [] if source in self._quantized else self._quantize(source, k)
        q = self._quantized[source]
        return [
            *nodes,
            self._node("MatMulInteger", [f"{q}_xq", f"{p}_wq", "pt_zp"], f"{p}_acc"),
            self._node("Cast", [f"{p}_acc"], f"{p}_accf", to=TensorProto.FLOAT),
            self._node("Mul", [f"{q}_s", f"{p}_ws"], f"{p}_scale"),
            self._node("Mul", [f"{p}_accf", f"{p}_scale"], f"{p}_y"),
            self._node("Concat", [f"{q}_lead", f"{p}_n"], f"{p}_shape", axis=0),
            self._node("Reshape", [f"{p}_y", f"{p}_shape"], node.output[0], name=f"{p}_out"),
        ]

    def _quantize(self, source: str, k: int) -> list[Any]:
        from onnx import TensorProto

        q = f"pq{len(self._quantized)}"
        self._quantized[source] = q
        self._const(f"{q}_rows", np.array([-1, k], np.int64))
        zero_point = self._helper.make_tensor("value", TensorProto.UINT8, [1], [128])
        return [
            self._node("Reshape", [source, f"{q}_rows"], f"{q}_x"),
            self._node("Abs", [f"{q}_x"], f"{q}_abs"),
            self._node("ReduceMax", [f"{q}_abs"], f"{q}_max", axes=[1], keepdims=1),
            self._node("Mul", [f"{q}_max", "pt_inv127"], f"{q}_s0"),
            self._node("Max", [f"{q}_s0", "pt_tiny"], f"{q}_s"),  # [rows, 1]
            self._node("Reshape", [f"{q}_s", "pt_flat"], f"{q}_s1"),  # [rows]
            self._node("Shape", [f"{q}_s1"], f"{q}_count"),
            self._node("ConstantOfShape", [f"{q}_count"], f"{q}_zp", value=zero_point),
            self._node("QuantizeLinear", [f"{q}_x", f"{q}_s1", f"{q}_zp"], f"{q}_xq", axis=0),
            self._node("Shape", [source], f"{q}_in_shape"),
            self._node("Slice", [f"{q}_in_shape", "pt_first", "pt_last"], f"{q}_lead"),
        ]

    def gather(self, node: Any, table: Any) -> list[Any]:
        from onnx import TensorProto

        wq, ws = self._per_channel(table.name, axis=1)
        p = f"pe{self._count}"
        self._count += 1
        self._const(f"{p}_wq", wq)
        self._const(f"{p}_ws", ws)
        ids = node.input[1]
        return [
            self._node("Gather", [f"{p}_wq", ids], f"{p}_rows", axis=0),
            self._node("Gather", [f"{p}_ws", ids], f"{p}_scales", axis=0),
            self._node("Cast", [f"{p}_rows"], f"{p}_rowsf", to=TensorProto.FLOAT),
            self._node("Mul", [f"{p}_rowsf", f"{p}_scales"], node.output[0], name=f"{p}_out"),
        ]
