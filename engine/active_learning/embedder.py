"""Sentence embeddings from the base encoder, for the cold start (before any model is trained).

The base encoder (the bundled sentence-transformers MiniLM by default) is exported once to a
mean-pooling ONNX graph, quantised to int8 and cached in the project folder
(``cache/encoder-<hash>/``); from then on embeddings need only onnxruntime + tokenizers + numpy.
Measured on 2 cores (2000 CoNLL sentences, batch 64, length-sorted): torch fp32 96-190 sent/s,
onnxruntime fp32 188 sent/s, onnxruntime int8 per-channel 541 sent/s (mean cosine to fp32 0.991);
the one-off export + quantisation takes about 3 s. The graph is made and quantised by the one
export pipeline (:mod:`engine.export.convert`, the recipe of exported versions: per-channel,
reduce_range, constant-weight MatMul/Gemm only); on 400 CoNLL test sentences its mean cosine to
torch fp32 is 0.9906 (min 0.971), the same as the former all-MatMul per-channel recipe.

Any ``Callable[[Sequence[str]], np.ndarray]`` works as an embedder; tests inject fakes.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ExportValidationError, ModelLoadError

log = logging.getLogger(__name__)

Embedder = Callable[[Sequence[str]], np.ndarray]
MAX_LENGTH = 128
ENCODER_FILE = "encoder.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def base_model_dir(setting: str | None) -> Path:
    """The folder of the base encoder (``"bundled"``/None: the bundled MiniLM)."""
    from engine.models.base import resolve_base_model

    return resolve_base_model(setting).folder


class OnnxEncoder:
    """Mean-pooled sentence embeddings from an exported encoder folder (torch-free)."""

    def __init__(
        self, folder: str | Path, threads: int | None = None, batch_size: int = 64
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from engine.inference.predictor import choose_providers, session_options

        self.folder = Path(folder)
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_LENGTH)
        pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        self._tokenizer.enable_padding(pad_id=pad_id)
        self._session = ort.InferenceSession(
            str(self.folder / ENCODER_FILE),
            sess_options=session_options(threads),
            providers=choose_providers(),
        )
        self._inputs = [i.name for i in self._session.get_inputs()]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        width = int(self._session.get_outputs()[0].shape[-1] or 0)
        out = np.zeros((len(texts), width), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for lo in range(0, len(texts), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            enc = self._tokenizer.encode_batch([texts[i] for i in idx])
            arrays = {
                "input_ids": np.asarray([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.asarray([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.asarray([e.type_ids for e in enc], dtype=np.int64),
            }
            out[idx] = self._session.run(None, {k: arrays[k] for k in self._inputs})[0]
        return out


def cache_folder(project_dir: Path, model_dir: Path) -> Path:
    digest = hashlib.sha256(str(model_dir.resolve()).encode()).hexdigest()[:12]
    return project_dir / "cache" / f"encoder-{digest}"


def _local_model_dir(setting: str | None) -> Path | None:
    """The folder of a bundled or local base model without checking it (None for a hub id):
    enough to find an encoder exported (and checked) before."""
    from engine.models.base import BUNDLED, bundled_model_dir

    if setting in (None, "", BUNDLED):
        return bundled_model_dir()
    path = Path(str(setting)).expanduser()
    return path if path.is_dir() else None


def project_encoder(project_dir: Path, base_model: str | None) -> OnnxEncoder:
    """The cached int8 encoder of ``base_model`` for this project, exported on first use.

    A cached encoder loads without the base-model checks (they import transformers and torch:
    about 9 s and 200 MB on 2 cores); they ran when it was exported.
    """
    local = _local_model_dir(base_model)
    if local is not None:
        for folder in (
            cache_folder(project_dir, local),
            Path(tempfile.gettempdir()) / "spantune-cache" / cache_folder(project_dir, local).name,
        ):
            if (folder / ENCODER_FILE).is_file():
                return OnnxEncoder(folder)
    model_dir = base_model_dir(base_model)
    folder = cache_folder(project_dir, model_dir)
    if not (folder / ENCODER_FILE).is_file():
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # a read-only project: cache in the temp folder instead
            folder = Path(tempfile.gettempdir()) / "spantune-cache" / folder.name
        if not (folder / ENCODER_FILE).is_file():
            folder.parent.mkdir(parents=True, exist_ok=True)
            export_encoder(model_dir, folder)
    return OnnxEncoder(folder)


def export_encoder(model_dir: Path, out: Path) -> Path:
    """Export ``model_dir``'s encoder as a mean-pooling int8 ONNX graph into ``out``.

    Written to a temp folder, checked against torch, then renamed into place. Raises
    :class:`ModelLoadError` when the folder is not a loadable encoder and
    :class:`ExportValidationError` when the exported graph disagrees with torch.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    from engine.export.convert import quantize_int8, torch_to_onnx

    tmp = out.with_name(".tmp-" + out.name)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        try:
            tokenizer = AutoTokenizer.from_pretrained(model_dir)
            model = AutoModel.from_pretrained(model_dir, use_safetensors=True).eval()
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load the base encoder from {model_dir}: {exc}") from exc
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        sample = tokenizer(
            ["a short sentence .", "Another, longer sentence here"],
            padding=True,
            return_tensors="pt",
        )
        inputs = [k for k in INPUTS if k in sample]
        pooled = _mean_pooled_module(model, inputs)
        with torch.inference_mode():
            expected = pooled(*(sample[k] for k in inputs)).numpy()
        axes = {k: {0: "batch", 1: "sequence"} for k in inputs} | {"embedding": {0: "batch"}}
        torch_to_onnx(
            pooled, [sample[k] for k in inputs], inputs, ["embedding"], tmp / "fp32.onnx", axes
        )
        quantize_int8(tmp / "fp32.onnx", tmp / ENCODER_FILE)
        (tmp / "fp32.onnx").unlink()
        got = OnnxEncoder(tmp)(["a short sentence .", "Another, longer sentence here"])
        cos = (_unit(got) * _unit(expected)).sum(axis=1)
        if cos.min() < 0.9:
            raise ExportValidationError(
                f"exported encoder disagrees with torch (cosine {cos.min():.3f})"
            )
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("exported base encoder %s to %s", model_dir, out)
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12))


def _mean_pooled_module(model: Any, inputs: Sequence[str]) -> Any:
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(inputs, args, strict=True))
            hidden = self.model(**kwargs).last_hidden_state
            mask = kwargs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled: torch.Tensor = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return pooled

    return MeanPooled()
