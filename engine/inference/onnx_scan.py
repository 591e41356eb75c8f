"""Check an ONNX file before onnxruntime opens it, without the ``onnx`` package.

A model folder is data a person may have downloaded, so the predictor refuses, with a
:class:`~engine.errors.ModelLoadError` naming the problem:

- a file that is not a complete ONNX protobuf (truncated download, wrong file);
- nodes in an operator domain other than ``""``/``ai.onnx``/``com.microsoft`` (custom ops would
  need a native library; ``com.microsoft`` holds onnxruntime's own contrib ops, which the
  quantised graph uses);
- tensors whose external data lives outside the model folder (``../../x``, absolute paths,
  symlinks that leave the folder) or beyond the end of its file.

How: a minimal protobuf wire-format walker over a read-only ``mmap`` of the file. It visits only
the message fields that can hold nodes or tensors (graph → node → attribute → subgraph, graph →
initializer, model → functions) and *skips* every payload by its length prefix, so a 90 MB model
is checked in milliseconds without copying weights. Loading with ``onnx.load`` would parse all
weights into memory and pull in the ``onnx`` package, which the runtime does not need.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ModelLoadError

ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "com.microsoft"})
_MAX_DEPTH = 64

# Field numbers from onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto).
_MODEL_GRAPH, _MODEL_OPSET, _MODEL_FUNCTIONS = 7, 8, 25
_GRAPH_NODE, _GRAPH_INIT, _GRAPH_SPARSE_INIT = 1, 5, 15
_NODE_ATTRIBUTE, _NODE_DOMAIN = 5, 7
_ATTR_T, _ATTR_G, _ATTR_TENSORS, _ATTR_GRAPHS, _ATTR_SPARSE, _ATTR_SPARSES = 5, 6, 10, 11, 22, 23
_TENSOR_NAME, _TENSOR_EXTERNAL, _TENSOR_LOCATION = 8, 13, 14
_SPARSE_VALUES, _SPARSE_INDICES = 1, 2
_FUNCTION_NODE = 7


class _Malformed(Exception):
    pass


@dataclass(frozen=True)
class ExternalRef:
    """A tensor stored outside the ``.onnx`` file."""

    tensor: str
    location: str
    offset: int = 0
    length: int | None = None


@dataclass
class OnnxScan:
    """What the walk found: node domains, opset domains and external-data references."""

    node_domains: set[str] = field(default_factory=set)
    opset_domains: set[str] = field(default_factory=set)
    external: list[ExternalRef] = field(default_factory=list)
    has_graph: bool = False


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise _Malformed("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(field, wire, a, b)``: a varint gives ``(value, 0)``, bytes ``(start, end)``."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos, end)
            yield number, wire, value, 0
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            if pos + length > end:
                raise _Malformed("field runs past the end of its message")
            yield number, wire, pos, pos + length
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > end:
                raise _Malformed("truncated fixed-width field")
        else:
            raise _Malformed(f"unsupported wire type {wire}")
    if pos != end:
        raise _Malformed("message overruns its length")


def _text(buf: memoryview, start: int, end: int) -> str:
    try:
        return bytes(buf[start:end]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Malformed("invalid UTF-8 string") from exc


class _Walker:
    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.scan = OnnxScan()

    def model(self) -> OnnxScan:
        for number, wire, a, b in _fields(self.buf, 0, len(self.buf)):
            if wire != 2:
                continue
            if number == _MODEL_GRAPH:
                self.scan.has_graph = True
                self.graph(a, b, 0)
            elif number == _MODEL_OPSET:
                for n, w, x, y in _fields(self.buf, a, b):
                    if n == 1 and w == 2:
                        self.scan.opset_domains.add(_text(self.buf, x, y))
            elif number == _MODEL_FUNCTIONS:
                for n, w, x, y in _fields(self.buf, a, b):
                    if n == _FUNCTION_NODE and w == 2:
                        self.node(x, y, 1)
        return self.scan

    def graph(self, start: int, end: int, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise _Malformed("subgraphs nested too deeply")
        for number, wire, a, b in _fields(self.buf, start, end):
            if wire != 2:
                continue
            if number == _GRAPH_NODE:
                self.node(a, b, depth)
            elif number == _GRAPH_INIT:
                self.tensor(a, b)
            elif number == _GRAPH_SPARSE_INIT:
                self.sparse(a, b)

    def node(self, start: int, end: int, depth: int) -> None:
        domain = ""
        for number, wire, a, b in _fields(self.buf, start, end):
            if wire != 2:
                continue
            if number == _NODE_DOMAIN:
                domain = _text(self.buf, a, b)
            elif number == _NODE_ATTRIBUTE:
                self.attribute(a, b, depth)
        self.scan.node_domains.add(domain)

    def attribute(self, start: int, end: int, depth: int) -> None:
        for number, wire, a, b in _fields(self.buf, start, end):
            if wire != 2:
                continue
            if number in (_ATTR_T, _ATTR_TENSORS):
                self.tensor(a, b)
            elif number in (_ATTR_G, _ATTR_GRAPHS):
                self.graph(a, b, depth + 1)
            elif number in (_ATTR_SPARSE, _ATTR_SPARSES):
                self.sparse(a, b)

    def sparse(self, start: int, end: int) -> None:
        for number, wire, a, b in _fields(self.buf, start, end):
            if wire == 2 and number in (_SPARSE_VALUES, _SPARSE_INDICES):
                self.tensor(a, b)

    def tensor(self, start: int, end: int) -> None:
        name, external, entries = "", False, {}
        for number, wire, a, b in _fields(self.buf, start, end):
            if number == _TENSOR_NAME and wire == 2:
                name = _text(self.buf, a, b)
            elif number == _TENSOR_LOCATION and wire == 0:
                external = a == 1
            elif number == _TENSOR_EXTERNAL and wire == 2:
                key = value = ""
                for n, w, x, y in _fields(self.buf, a, b):
                    if w == 2 and n == 1:
                        key = _text(self.buf, x, y)
                    elif w == 2 and n == 2:
                        value = _text(self.buf, x, y)
                entries[key] = value
        if external or entries:
            try:
                offset = int(entries.get("offset", "0") or 0)
                length = int(entries["length"]) if entries.get("length") else None
            except ValueError as exc:
                raise _Malformed(f"bad external-data offset/length on tensor {name!r}") from exc
            location = entries.get("location", "")
            self.scan.external.append(ExternalRef(name, location, offset, length))


def scan_onnx(path: str | Path) -> OnnxScan:
    """Walk ``path`` (an ONNX model); raise ModelLoadError if it is not a complete protobuf."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                raise ModelLoadError(f"{path} is empty")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                view = memoryview(mm)
                try:
                    scan = _Walker(view).model()
                finally:
                    view.release()
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except _Malformed as exc:
        raise ModelLoadError(
            f"{path} is not a complete ONNX model ({exc}); the file may be truncated, "
            "export the model again"
        ) from exc
    if not scan.has_graph:
        raise ModelLoadError(f"{path} holds no ONNX graph; the file may be truncated")
    return scan


def check_model_file(path: str | Path, root: str | Path) -> OnnxScan:
    """Scan ``path`` and refuse custom-op domains and external data outside ``root``."""
    path = Path(path)
    scan = scan_onnx(path)
    custom = sorted((scan.node_domains | scan.opset_domains) - ALLOWED_DOMAINS)
    if custom:
        raise ModelLoadError(
            f"{path} uses custom operator domain(s) {', '.join(map(repr, custom))}; only standard "
            "ONNX and onnxruntime operators are allowed"
        )
    base = Path(os.path.realpath(root))
    for ref in scan.external:
        _check_external(path, base, ref)
    return scan


def _check_external(path: Path, base: Path, ref: ExternalRef) -> None:
    where = f"{path}: external data of tensor {ref.tensor!r} ({ref.location!r})"
    if not ref.location or os.path.isabs(ref.location) or Path(ref.location).drive:
        raise ModelLoadError(f"{where} must be a relative path inside the model folder")
    target = Path(os.path.realpath(path.parent / ref.location))
    if not target.is_relative_to(base):
        raise ModelLoadError(f"{where} points outside the model folder {base}")
    if not target.is_file():
        raise ModelLoadError(f"{where} is missing")
    needed = ref.offset + (ref.length or 0)
    if ref.offset < 0 or (ref.length is not None and ref.length < 0):
        raise ModelLoadError(f"{where} has a negative offset or length")
    if needed > target.stat().st_size:
        raise ModelLoadError(f"{where} ends past the end of the file (truncated?)")
