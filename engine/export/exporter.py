"""Export a trained model version to a validated ONNX folder (fp32 + int8), atomically.

Layout written (readable by optimum's ``ORTModelForTokenClassification`` and transformers.js):
``config.json``, tokenizer files, ``model.onnx`` (fp32), ``onnx/model.onnx``,
``onnx/model_quantized.onnx``, ``head.npz``, ``spantune.json`` and a ``README.md`` model card.

The graph has inputs ``input_ids``, ``attention_mask`` (+ ``token_type_ids`` when the model takes
it) and outputs ``logits`` and ``last_hidden_state`` (the classifier's input, for active
learning), with dynamic batch and sequence axes. torch and transformers are imported inside the
job function only.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ModelLoadError, writing
from engine.export.convert import OPSET, torch_to_onnx
from engine.export.folder import (
    check_target,
    link_or_copy,
    move_into_place,
    staging_dir,
    target_lock,
)
from engine.export.model_card import model_card
from engine.export.per_token import PER_TOKEN_QUANTIZATION, quantize_int8_per_token
from engine.export.reference import EXAMPLE_PY, WORD_RULES, without_int8
from engine.export.validate import (
    HIDDEN_RTOL,
    HIDDEN_TOLERANCE,
    LOGIT_RTOL,
    LOGIT_TOLERANCE,
    check_agreement,
    check_parity,
    head_error,
    validation_texts,
)
from engine.inference.decode import DECODING_RULE
from engine.inference.predictor import DEFAULT_STRIDE, Predictor, read_tags
from engine.inference.windows import clamp_window
from engine.progress import CancelToken, EventCallback, ProgressEvent, check, emit
from engine.text.bio import check_bio_tags

log = logging.getLogger(__name__)

STAGES = ("load", "export", "validate", "quantize", "compare", "write")
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "sentencepiece.bpe.model",
    "spm.model",
)


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_model` wrote and how well it matched torch."""

    path: Path
    max_abs_logit_diff: float
    max_abs_hidden_diff: float
    quantized: bool
    token_argmax_agreement: float | None
    entity_agreement: float | None
    seconds: float
    metadata: dict[str, Any] = field(default_factory=dict)


def export_model(
    version_dir: str | Path,
    out_dir: str | Path,
    *,
    quantize: bool = True,
    overwrite: bool = False,
    sample_texts: Sequence[str] = (),
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Export the model version in ``version_dir`` to ``out_dir``, validated, all or nothing.

    Stages (``ProgressEvent.stage``): load, export, validate, quantize, compare, write.
    ``sample_texts`` (e.g. held-out segments) join the built-in validation sample (emoji, CJK,
    a multi-window text) and measure int8 (per-token, :mod:`engine.export.per_token`)
    against fp32. The folder is built next to ``out_dir`` and renamed into place.

    Raises :class:`ExportValidationError` when onnxruntime's fp32 logits differ from torch by
    more than 1e-4 + 1e-4·|logit| element-wise (nothing is written), :class:`ModelLoadError`
    for an unreadable version, :class:`ValidationError` when ``out_dir`` is non-empty and
    ``overwrite`` is False, and :class:`Cancelled` (leaving nothing behind) when ``cancel`` is
    set between stages.
    """
    began = time.monotonic()
    source, target = Path(version_dir), Path(out_dir)
    with target_lock(target):
        check_target(target, overwrite)
        tmp = staging_dir(target)
        try:
            with writing(target, "the ONNX export"):  # a full disk: one line naming the folder
                result = _build(
                    source,
                    tmp,
                    quantize,
                    list(sample_texts),
                    on_event,
                    cancel,
                )
            check(cancel)
            move_into_place(tmp, target, overwrite)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    emit(on_event, ProgressEvent("write", len(STAGES), len(STAGES), f"exported to {target}"))
    return ExportResult(path=target, seconds=time.monotonic() - began, **result)


def _stage(on_event: EventCallback | None, cancel: CancelToken | None, name: str) -> None:
    check(cancel)
    emit(on_event, ProgressEvent(name, STAGES.index(name), len(STAGES), f"{name}…"))


def _build(
    source: Path,
    tmp: Path,
    quantize: bool,
    extra_texts: list[str],
    on_event: EventCallback | None,
    cancel: CancelToken | None,
) -> dict[str, Any]:
    _stage(on_event, cancel, "load")
    model = _load_model(source)
    tags = read_tags(model.config.to_dict(), str(source / "config.json"))
    meta = _base_metadata(source, model, tags)
    _write_config_and_tokenizer(source, tmp, model, meta)

    _stage(on_event, cancel, "export")
    wrapper, input_names = _wrap(model)
    _torch_export(wrapper, input_names, tmp / "model.onnx")

    _stage(on_event, cancel, "validate")
    fp32 = Predictor(tmp, quantized=False)
    count = lambda text: len(fp32.encode([text])[0][0])  # noqa: E731
    texts = validation_texts(count, fp32.max_length, extra_texts)
    parity = check_parity(
        _torch_runner(wrapper, input_names), fp32, texts, tolerance=LOGIT_TOLERANCE
    )
    head = _write_head(model, fp32, texts, tmp)
    (tmp / "onnx").mkdir()
    link_or_copy(tmp / "model.onnx", tmp / "onnx" / "model.onnx")

    agreement, excluded = None, []
    if quantize:
        _stage(on_event, cancel, "quantize")
        excluded = quantize_int8_per_token(
            tmp / "model.onnx", tmp / "onnx" / "model_quantized.onnx"
        )
        _stage(on_event, cancel, "compare")
        agreement = check_agreement(
            fp32, Predictor(tmp, quantized=True), texts, batch_sizes=(1, 8, 32)
        )
        if agreement.entity_agreement < 0.95:
            log.warning(
                "int8 model agrees with fp32 on only %.1f%% of entities",
                100 * agreement.entity_agreement,
            )

    _stage(on_event, cancel, "write")
    quant = None
    if agreement:
        quant = dict(PER_TOKEN_QUANTIZATION, nodes_excluded=excluded, **asdict(agreement))
    meta["export"] = _export_record(input_names, parity, quant, head)
    _write_json(tmp / "spantune.json", meta)
    (tmp / "README.md").write_text(model_card(meta, tags), encoding="utf-8")
    example = EXAMPLE_PY if quant else without_int8(EXAMPLE_PY)
    (tmp / "example.py").write_text(example, encoding="utf-8")
    return {
        "max_abs_logit_diff": parity.max_abs_logit_diff,
        "max_abs_hidden_diff": parity.max_abs_hidden_diff,
        "quantized": agreement is not None,
        "token_argmax_agreement": agreement.token_argmax_agreement if agreement else None,
        "entity_agreement": agreement.entity_agreement if agreement else None,
        "metadata": meta,
    }


def _export_record(
    input_names: list[str], parity: Any, quant: dict[str, Any] | None, head: dict[str, Any]
) -> dict[str, Any]:
    """The ``export`` entry of ``spantune.json``: how the folder was made and checked."""
    return {
        "opset": OPSET,
        "exporter": "torch.onnx.export (TorchScript, dynamo=False)",
        "versions": _versions(),
        "inputs": input_names,
        "outputs": ["logits", "last_hidden_state"],
        "validation": {
            **asdict(parity),
            "tolerance": LOGIT_TOLERANCE,
            "rtol": LOGIT_RTOL,
            "hidden_tolerance": HIDDEN_TOLERANCE,
            "hidden_rtol": HIDDEN_RTOL,
        },
        "quantization": quant,
        "head": head,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _load_model(source: Path) -> Any:
    from transformers import AutoModelForTokenClassification

    if not (source / "config.json").is_file():
        raise ModelLoadError(f"config.json is missing from {source}")
    try:
        model = AutoModelForTokenClassification.from_pretrained(
            source, use_safetensors=True, trust_remote_code=False, attn_implementation="eager"
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"cannot load the model in {source}: {exc}") from exc
    return model.eval()


def _base_metadata(source: Path, model: Any, tags: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    path = source / "spantune.json"
    if path.is_file():
        meta = json.loads(path.read_text(encoding="utf-8"))
    limit = min(256, int(getattr(model.config, "max_position_embeddings", 512) or 512), 512)
    meta.setdefault("labels", check_bio_tags(tags))
    meta["max_length"] = min(
        int(meta.get("max_length") or limit), clamp_window(512, model.config)
    )  # the positions the model has
    meta.setdefault("stride", DEFAULT_STRIDE)
    meta.setdefault("base_model", getattr(model.config, "_name_or_path", "") or "unknown")
    meta.setdefault("counts", {})
    meta.setdefault("metrics", {})
    meta["decoding"] = DECODING_RULE
    meta["words"] = {"default": "spantune", "rules": WORD_RULES, "reference": "example.py"}
    return meta


def _write_config_and_tokenizer(source: Path, tmp: Path, model: Any, meta: dict[str, Any]) -> None:
    config = model.config
    if not getattr(config, "architectures", None):
        config.architectures = [type(model).__name__]
    config.save_pretrained(tmp)
    copied = [n for n in TOKENIZER_FILES if (source / n).is_file()]
    for name in copied:
        shutil.copy2(source / name, tmp / name)
    if "tokenizer.json" not in copied:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(source)
        if not getattr(tokenizer, "is_fast", False):
            raise ModelLoadError(f"{source} has no fast tokenizer (tokenizer.json)")
        tokenizer.save_pretrained(tmp)
    _write_json(tmp / "spantune.json", meta)


def _wrap(model: Any) -> tuple[Any, list[str]]:
    """An ``nn.Module`` returning ``(logits, last_hidden_state)``, and its input names."""
    import inspect

    import torch

    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")

    # "last_hidden_state" is what the classifier really reads: the last hidden states for BERT,
    # the output of the prediction head (dense, activation, norm) for ModernBERT-style models.
    layer = getattr(model, "classifier", None)
    seen: dict[str, torch.Tensor] = {}
    hooked = isinstance(layer, torch.nn.Module)
    if hooked and layer is not None:
        layer.register_forward_hook(lambda _m, args, _out: seen.__setitem__("input", args[0]))

    class LogitsAndHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            out = self.model(
                **dict(zip(names, inputs, strict=True)), output_hidden_states=not hooked
            )
            hidden = seen.pop("input", None)
            return out.logits, hidden if hidden is not None else out.hidden_states[-1]

    # eval() on the wrapper itself: torch.onnx.export restores the wrapper's training flag
    # afterwards, and a fresh Module is in training mode (dropout on) by default.
    return LogitsAndHidden().eval(), names


def _torch_export(wrapper: Any, input_names: list[str], path: Path) -> None:
    import torch

    ids = torch.tensor([[2, 5, 6, 7, 8, 9, 10, 3], [2, 11, 12, 3, 0, 0, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    example = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    axes = {0: "batch", 1: "sequence"}
    outputs = ["logits", "last_hidden_state"]
    torch_to_onnx(
        wrapper,
        [example[n] for n in input_names],
        input_names,
        outputs,
        path,
        {n: axes for n in [*input_names, *outputs]},
    )


def _torch_runner(wrapper: Any, input_names: list[str]) -> Any:
    import torch

    def run(batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            logits, hidden = wrapper(*(torch.from_numpy(batch[n]) for n in input_names))
        return logits.numpy(), hidden.numpy()

    return run


def _write_head(model: Any, fp32: Predictor, texts: list[str], tmp: Path) -> dict[str, Any]:
    """Save the classifier as ``head.npz`` when it reproduces the logits from the hidden states."""
    import torch

    layer = getattr(model, "classifier", None)
    if not isinstance(layer, torch.nn.Linear):
        log.warning("%s has no linear classifier; head.npz not written", type(model).__name__)
        return {"file": None}
    weight = layer.weight.detach().float().numpy().astype(np.float32)
    bias = (
        layer.bias.detach().float().numpy() if layer.bias is not None else np.zeros(weight.shape[0])
    ).astype(np.float32)
    error = head_error(fp32, texts, weight, bias)
    if error > HIDDEN_TOLERANCE:
        log.warning("classifier does not map last_hidden_state to logits (%.2e)", error)
        return {"file": None, "max_abs_diff": error}
    np.savez(tmp / "head.npz", weight=weight, bias=bias)
    return {"file": "head.npz", "max_abs_diff": error, "shape": list(weight.shape)}


def _versions() -> dict[str, str]:
    import onnxruntime
    import tokenizers
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnxruntime": onnxruntime.__version__,
        "tokenizers": tokenizers.__version__,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
