"""Inference on exported models: a torch-free predictor (onnxruntime + tokenizers + numpy).

Importing this package is cheap (no onnxruntime until a model is loaded): names are resolved on
first use. Nothing here imports torch or transformers; the exporter lives in :mod:`engine.export`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.inference.decode import decode_entities
    from engine.inference.predictor import Predictor, TextPrediction
    from engine.inference.windows import make_windows, window_owners

_EXPORTS = {
    "Predictor": "engine.inference.predictor",
    "TextPrediction": "engine.inference.predictor",
    "make_windows": "engine.inference.windows",
    "window_owners": "engine.inference.windows",
    "decode_entities": "engine.inference.decode",
}

__all__ = [
    "Predictor",
    "TextPrediction",
    "decode_entities",
    "make_windows",
    "window_owners",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.inference' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
