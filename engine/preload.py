"""Load the model libraries ahead of the first job that needs them.

Importing them is slow and, in places, one C call that holds the GIL for a long time: on the
development machine ``ml_dtypes`` (pulled in by ``onnx``) holds it for ~0.9 s while its extension
registers its dtypes with numpy, ``torch`` for ~0.3 s while its shared library loads. A job thread
that imports them freezes the GUI thread for that long, so the desktop app imports them itself:
:data:`BEFORE_WINDOW` before its window shows, :data:`IN_BACKGROUND` on a thread of its own once the
window is up; then :func:`settle` moves what those imports allocated out of the garbage
collector's way. The CLI does none of this (``spantune --help`` stays fast).

Measured with ``tests/desktop/retrain_gap_probe.py`` (the real app, a fresh process, a tiny
model): the largest event-loop gap of a first retrain was 884 ms (1,094 modules imported on the
job thread); with the imports alone 280–360 ms (a full garbage collection over the libraries'
objects); with :func:`settle` as well 31–118 ms, as a second retrain.
"""

from __future__ import annotations

import gc
import importlib
import logging
import time
from collections.abc import Iterable

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


def settle() -> None:
    """Freeze every object alive now (``gc.freeze``) so later collections skip them.

    The libraries leave ~400,000 tracked objects; the next full collection walks them all with
    the GIL held (218 ms on the development machine), and a first retrain allocates enough to
    trigger one: that was the last ~300 ms freeze of a first retrain. Frozen objects are the
    modules and their tables, alive for the whole run anyway; no collection is forced here (it
    would be the same pause, only sooner)."""
    gc.freeze()
    log.info("froze %d objects out of the garbage collector's walks", gc.get_freeze_count())
