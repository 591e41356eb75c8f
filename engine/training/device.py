"""Where a training or scoring run computes: ``cpu``, ``cuda[:N]`` or ``mps``, and how precisely.

``resolve_device("auto")`` picks CUDA, then Apple MPS, then the CPU; naming a device that is
not there is an error (never a silent fall back to the CPU, which would turn a 2-minute GPU run
into an hour). Mixed precision follows the device: on CUDA bf16 autocast where the GPU has bf16
(Ampere and later), else fp16 autocast with a gradient scaler; on the CPU the rules of
:mod:`engine.training.cpu` (bf16 where the CPU multiplies it natively); on MPS float32 (autocast
there still falls back op by op). TF32 matmuls are switched on for Ampere+ GPUs: their float32
matmuls then use TF32 tensor cores (about 10 bits of mantissa, what HF Trainer's ``tf32`` does).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from engine.errors import ValidationError

log = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def check_device_name(name: Any) -> str:
    """``name`` normalised if it can name a device (syntax only: nothing is probed)."""
    value = str(name).strip().lower() if isinstance(name, str) else ""
    if not _DEVICE_RE.match(value):
        raise ValidationError(
            f"unknown device {name!r}; choose auto, cpu, cuda, cuda:N or mps", field="device"
        )
    return value


def _mps_available(torch: Any) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(spec: str | None = "auto") -> Any:
    """The ``torch.device`` that ``spec`` names (``None`` counts as ``"auto"``).

    Raises ValidationError (field ``device``) when the name is unknown or the device is not
    available on this machine (no CUDA build or GPU, an index past the GPU count, no MPS).
    """
    import torch

    name = check_device_name(spec or "auto")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available(torch):
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "mps":
        if not _mps_available(torch):
            raise ValidationError(
                "device mps is not available (it needs Apple silicon and a "
                "torch build with MPS); use --device cpu or auto",
                field="device",
            )
        return torch.device("mps")
    if not torch.cuda.is_available():
        build = (
            "this torch build has no CUDA"
            if torch.version.cuda is None
            else "no NVIDIA GPU is visible (check the driver and CUDA_VISIBLE_DEVICES)"
        )
        raise ValidationError(
            f"device {name} is not available: {build}; use --device cpu or "
            "auto, or install the CUDA build of torch (README: CPU or GPU)",
            field="device",
        )
    index = int(name.split(":")[1]) if ":" in name else torch.cuda.current_device()
    count = torch.cuda.device_count()
    if index >= count:
        raise ValidationError(
            f"device {name} is not available: this machine has {count} GPU"
            f"{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1})",
            field="device",
        )
    return torch.device("cuda", index)


def device_label(device: Any) -> str:
    """A short description for logs and the model panel: ``cuda:0 (NVIDIA H100)``, ``cpu``."""
    import torch

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


@dataclass(frozen=True)
class Precision:
    """Autocast dtype (None: float32) and whether a gradient scaler guards fp16 gradients."""

    name: str  # "bf16", "fp16" or "fp32"
    dtype: Any
    scaler: bool

    @property
    def autocast(self) -> bool:
        return self.dtype is not None


def precision_for(device: Any, bf16: bool | None) -> Precision:
    """Mixed precision for ``device``; ``bf16`` is the config's setting (None: automatic).

    ``bf16=False`` means float32 everywhere. On CUDA ``None``/``True`` give bf16 where the GPU
    supports it, else fp16 with a scaler. On the CPU ``None`` is bf16 only where it is native.
    """
    import torch

    if bf16 is False:
        return Precision("fp32", None, False)
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision("bf16", torch.bfloat16, False)
        return Precision("fp16", torch.float16, True)
    if device.type == "cpu":
        from engine.training.cpu import has_native_bf16

        native = has_native_bf16() if bf16 is None else True
        return (
            Precision("bf16", torch.bfloat16, False) if native else Precision("fp32", None, False)
        )
    return Precision("fp32", None, False)


def enable_tf32(device: Any) -> bool:
    """Let float32 matmuls use TF32 tensor cores on Ampere+ GPUs; True when switched on."""
    import torch

    if device.type != "cuda" or torch.cuda.get_device_capability(device)[0] < 8:
        return False
    torch.set_float32_matmul_precision("high")  # TF32 matmuls (cuDNN allows TF32 already)
    return True


def to_device(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    """The batch's tensors on ``device`` (pinned, non-blocking copies for CUDA)."""
    if device.type == "cpu":
        return batch
    cuda = device.type == "cuda"
    return {
        k: (v.pin_memory() if cuda else v).to(device, non_blocking=cuda) for k, v in batch.items()
    }


def model_device(model: Any) -> Any:
    """The device that holds ``model``'s parameters."""
    return next(model.parameters()).device
