"""Training configuration and results: plain values that cross into the CLI and the desktop."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from engine.errors import ValidationError


@dataclass(frozen=True)
class TrainConfig:
    """How to fine-tune. ``None`` fields are chosen at run time (see each comment).

    Defaults were measured on CoNLL-2003 subsets on a shared 2-core CPU with AMX
    (``tests/benchmarks/bench_training.py``, entity F1 on 1000 test sentences, 2 subsets each):
    batch 8 beat batch 16 at equal epochs (+3 F1 points at 200 sentences; the number of
    optimiser steps is what small data needs), lr 3e-4 lost 0.5-2.7 points against 2e-4, a 10x
    learning rate on the new head gained 0.5, layer-wise lr decay 0.8 gained 1.6 at 200
    sentences (0.7: -0.3, 0.9 with lr 3e-4: -0.5) and was neutral at 1000, no dropout lost 2,
    freezing two encoder layers lost 0.7 for 15 % less step time, 15 epochs instead of 10 at
    200 sentences gained 0.6 for 50 % more time. The step budget gives 200 sentences 10
    epochs (250 steps) and 1000 sentences 5 (625 steps; 3 epochs: -1.7 points, 6: -0.2).
    Same seed and thread count give the same metrics; ``threads=None`` follows the idle
    cores (and may change during a run), so pin ``threads`` for exact repeats.
    """

    epochs: int | None = None  # None: enough epochs for ``target_steps`` (bounded)
    target_steps: int = 600  # optimiser steps aimed at when epochs is None
    min_epochs: int = 2
    max_epochs: int = 10
    max_minutes: float | None = None  # stop (and keep the model) after this long
    lr: float = 2e-4
    batch_size: int = 8
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    clip: float = 1.0
    seed: int | None = None  # None: the project's "seed" setting (0 without project)
    base_model: str | None = None  # None: the project's "base_model" setting
    warm_start: bool = False  # start from the active version instead of the base
    max_length: int = 256  # sub-tokens per window, specials included
    stride: int = 32  # sub-tokens shared by consecutive windows
    patience: int | None = 3  # evaluated epochs without eval-F1 gain before stopping
    freeze_embeddings: bool = True  # word-embedding matrix stays fixed (faster, same F1)
    freeze_layers: int = 0  # also fix all embeddings and the first N encoder layers
    head_lr_scale: float = 10.0  # learning-rate multiplier of the classifier head
    layer_decay: float = 0.8  # lr multiplier per encoder layer downwards (1: none)
    dropout: float | None = None  # None: the checkpoint's own dropout
    bf16: bool | None = None  # bf16 autocast; None: AMX (1.6x) or AVX512-BF16 (1.3x)
    threads: int | None = None  # None: the cores idle right now (engine.training.cpu)
    eval_batch_size: int = 64
    device: str | None = None  # None: the project's "device" setting ("auto" without)

    def __post_init__(self) -> None:
        checks = {
            "epochs": self.epochs is None or self.epochs >= 1,
            "target_steps": self.target_steps >= 1,
            "max_minutes": self.max_minutes is None or self.max_minutes > 0,
            "lr": 0 < self.lr < 1,
            "batch_size": self.batch_size >= 1,
            "warmup_ratio": 0 <= self.warmup_ratio < 1,
            "max_length": 8 <= self.max_length <= 8192,
            "stride": 0 <= self.stride <= self.max_length // 2,
            "patience": self.patience is None or self.patience >= 1,
            "threads": self.threads is None or self.threads >= 1,
        }
        if self.device is not None:
            from engine.training.device import check_device_name

            check_device_name(self.device)
        for name, ok in checks.items():
            if not ok:
                raise ValidationError(f"invalid value {getattr(self, name)!r}", field=name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def epochs_for(self, steps_per_epoch: int) -> int:
        """The epoch count: ``epochs`` or enough to reach ``target_steps`` (within bounds)."""
        if self.epochs is not None:
            return self.epochs
        wanted = math.ceil(self.target_steps / max(1, steps_per_epoch))
        return max(self.min_epochs, min(self.max_epochs, wanted))

    def thread_count(self) -> int:
        """``threads``, or the cores that are idle right now (see :mod:`engine.training.cpu`)."""
        from engine.training.cpu import auto_threads

        return self.threads if self.threads is not None else auto_threads()


@dataclass(frozen=True)
class TrainResult:
    """What a finished training run produced."""

    version: str | None
    path: str
    metrics: dict[str, Any]
    counts: dict[str, Any]
    seconds: float
    log: tuple[str, ...]
    config: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
