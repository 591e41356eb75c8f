"""Export of trained versions to validated ONNX folders (torch + transformers + onnxruntime).

Kept apart from :mod:`engine.inference`, which runs the exported folders torch-free (as optimum
keeps ``exporters/`` apart from its runtime). Importing this package is cheap: torch and
transformers load inside :func:`export_model`; names are resolved on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.export.exporter import ExportResult, export_model

_EXPORTS = {
    "export_model": "engine.export.exporter",
    "ExportResult": "engine.export.exporter",
}

__all__ = ["ExportResult", "export_model"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.export' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
