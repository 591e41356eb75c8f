"""Training configuration and results: plain values that cross into the CLI and the desktop."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from engine.errors import ValidationError


@dataclass(frozen=True)
class TrainConfig:
    """How to fine-tune. ``None`` fields are chosen at run time (see each comment).

    Defaults were measured on CoNLL-2003 subsets on a 2-core CPU
    (``tests/benchmarks/bench_training.py``).
    """

    epochs: int | None = None          # None: enough epochs to reach ``target_steps`` steps
    target_steps: int = 200            # optimiser steps aimed at when epochs is None
    min_epochs: int = 2
    max_epochs: int = 20
    max_minutes: float | None = None   # stop (and keep the model) after this long
    lr: float = 2e-4
    batch_size: int = 16
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    clip: float = 1.0
    seed: int | None = None            # None: the project's "seed" setting (0 without project)
    base_model: str | None = None      # None: the project's "base_model" setting
    warm_start: bool = False           # start from the active version instead of the base
    max_length: int = 256              # sub-tokens per window, specials included
    stride: int = 32                   # sub-tokens shared by consecutive windows
    patience: int | None = 3           # epochs without eval-F1 gain before stopping early
    freeze_embeddings: bool = True     # word-embedding matrix stays fixed (faster, same F1)
    freeze_layers: int = 0             # also fix all embeddings and the first N encoder layers
    head_lr_scale: float = 1.0         # learning-rate multiplier of the new classifier head
    dropout: float | None = None       # None: the checkpoint's own dropout
    bf16: bool | None = False          # bf16 autocast; None: use it where the CPU has AMX/BF16
    threads: int | None = None         # None: the cores this process may use
    eval_batch_size: int = 64

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
