"""Load the model libraries ahead of the first job that needs them.

Importing them is slow and, in places, one C call that holds the GIL for a long time: on the
development machine ``ml_dtypes`` (pulled in by ``onnx``) holds it for ~0.9 s while its extension
registers its dtypes with numpy, ``torch`` for ~0.3 s while its shared library loads. A job thread
that imports them freezes the GUI thread for that long, so the desktop app imports them itself:
:data:`BEFORE_WINDOW` before its window shows, :data:`IN_BACKGROUND` on a thread of its own once the
window is up, and then :func:`exercise` runs the steps of a retrain once on a model of a few
kilobytes: the first run of each step in a process pays one-off costs the imports do not (lazy
registrations, transformers' loader threads, the ONNX exporter's symbolic tables), measured as
further 200–350 ms stalls of a first retrain. The CLI does none of this (``spantune --help``
stays fast).
"""

from __future__ import annotations

import importlib
import logging
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from engine.progress import CancelToken

log = logging.getLogger(__name__)

#: imports that hold the GIL in one long C call: done before the window can be frozen by them
BEFORE_WINDOW: tuple[str, ...] = ("ml_dtypes",)
#: what training, evaluation, export and scoring import, in the order a first retrain needs them
IN_BACKGROUND: tuple[str, ...] = (
    "torch",
    "transformers",
    # transformers loads these lazily, on the first model: measured as 200–350 ms stalls of a
    # first retrain (torch.distributed.tensor and sympy come in behind modeling_utils)
    "transformers.modeling_utils",
    "transformers.models.auto.modeling_auto",
    "transformers.models.bert.modeling_bert",  # the default base model's architecture
    "transformers.tokenization_utils_tokenizers",
    "seqeval.metrics",
    "onnx",
    "onnxruntime",
    "onnxruntime.quantization",
    "torch.onnx",
    "torch.onnx._internal.torchscript_exporter.utils",  # private: skipped where it moved
    "engine.training.trainer",
    "engine.training.loop",
    "engine.training.predict",
    "engine.training.evaluate",
    "engine.training.bootstrap",
    "engine.export.exporter",
    "engine.inference.predictor",
    "engine.active_learning.rescore",
)


def preload(names: Iterable[str], cancel: CancelToken | None = None) -> dict[str, float]:
    """Import each module in ``names``; returns seconds per module that imported.

    A module that is missing or fails to import is logged and skipped: the job that needs it
    reports the problem where the person can see it."""
    seconds: dict[str, float] = {}
    for name in names:
        if cancel is not None and cancel.cancelled:
            break
        started = time.perf_counter()
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - optional here; the job that needs it says so
            log.info("preloading %s failed: %s", name, exc)
            continue
        seconds[name] = round(time.perf_counter() - started, 3)
    log.info("preloaded %s", seconds)
    return seconds


def exercise(cancel: CancelToken | None = None) -> float:
    """Save, load, train one step, export to ONNX, quantise and run a 1-layer, 8-wide BERT in a
    temporary folder; returns the seconds it took. Failures are logged, never raised."""
    started = time.perf_counter()
    try:
        _exercise(cancel)
    except Exception as exc:  # noqa: BLE001 - a warm-up only; the real job reports problems
        log.info("exercising the training path failed: %s", exc)
    seconds = round(time.perf_counter() - started, 3)
    log.info("exercised the training path in %.2f s", seconds)
    return seconds


def _exercise(cancel: CancelToken | None) -> None:
    import numpy as np
    import onnxruntime
    import torch
    from transformers import AutoModelForTokenClassification, BertConfig, BertForTokenClassification

    from engine.export.convert import quantize_int8, torch_to_onnx

    with tempfile.TemporaryDirectory(prefix="spantune-warm-up-") as tmp:
        folder = Path(tmp)
        config = BertConfig(
            vocab_size=32,
            hidden_size=8,
            num_hidden_layers=1,
            num_attention_heads=1,
            intermediate_size=8,
            max_position_embeddings=16,
        )
        config.num_labels = 3
        BertForTokenClassification(config).save_pretrained(folder / "model")
        if cancel is not None and cancel.cancelled:
            return
        # as training and export load a version (the export's eager attention traces to ONNX)
        AutoModelForTokenClassification.from_pretrained(folder / "model", use_safetensors=True)
        model = AutoModelForTokenClassification.from_pretrained(
            folder / "model", use_safetensors=True, attn_implementation="eager"
        )
        ids = torch.ones((1, 4), dtype=torch.long)
        mask = torch.ones((1, 4), dtype=torch.long)
        model.train()
        loss = model(input_ids=ids, attention_mask=mask, labels=torch.zeros_like(ids)).loss
        loss.backward()
        torch.optim.AdamW(model.parameters(), lr=1e-4).step()
        model.eval()
        if cancel is not None and cancel.cancelled:
            return
        axes = {
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
        }
        torch_to_onnx(
            model, [ids, mask], ["input_ids", "attention_mask"], ["logits"], folder / "m.onnx", axes
        )
        quantize_int8(folder / "m.onnx", folder / "m.int8.onnx")
        session = onnxruntime.InferenceSession(
            str(folder / "m.int8.onnx"), providers=["CPUExecutionProvider"]
        )
        feed = {"input_ids": np.ones((1, 4), np.int64), "attention_mask": np.ones((1, 4), np.int64)}
        session.run(None, feed)
