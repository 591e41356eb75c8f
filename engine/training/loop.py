"""The fine-tuning loop: a plain torch loop over length-bucketed batches.

Measured on a 2-core CPU (see ``tests/benchmarks/bench_training.py``): length bucketing and
dynamic padding, fused AdamW, a frozen word-embedding matrix and a high learning rate for small
data; linear warmup then decay, gradient clipping, a fixed seed (same seed, same metrics).
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.progress import CancelToken, Throttle, TrainEvent, check
from engine.training.config import TrainConfig
from engine.training.cpu import ThreadGovernor

log = logging.getLogger(__name__)

Row = tuple[list[int], list[int]]
EvalFn = Callable[[Any], dict[str, Any]]


def bucketed_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random, pool: int = 50
) -> list[list[int]]:
    """Row indices in batches of similar length, in random order.

    Rows are shuffled, cut into pools of ``pool`` batches, sorted by length inside each pool
    and batched; the batch order is shuffled again (the HF ``group_by_length`` recipe).
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    size = batch_size * pool
    batches: list[list[int]] = []
    for i in range(0, len(order), size):
        chunk = sorted(order[i : i + size], key=lambda j: -lengths[j])
        batches.extend(chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def collate(rows: Sequence[Row], pad_id: int) -> dict[str, Any]:
    """Pad a batch to its longest row: input ids, attention mask and labels (-100 padding)."""
    import torch

    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    for r, (ids, labs) in enumerate(rows):
        input_ids[r, : len(ids)] = torch.tensor(ids)
        mask[r, : len(ids)] = 1
        labels[r, : len(labs)] = torch.tensor(labs)
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}


_LAYER_RE = re.compile(r"\.layer\.(\d+)\.")


def _lr_scale(name: str, config: TrainConfig, n_layers: int) -> float:
    """Learning-rate multiplier of a parameter: head scale, or layer-wise decay downwards."""
    if name.startswith("classifier."):
        return config.head_lr_scale
    if config.layer_decay == 1.0:
        return 1.0
    match = _LAYER_RE.search(name)
    if match:
        return float(config.layer_decay ** (n_layers - 1 - int(match.group(1))))
    if ".embeddings." in name:
        return float(config.layer_decay**n_layers)
    return 1.0


def make_optimizer(model: Any, config: TrainConfig) -> Any:
    """AdamW (fused where this torch supports it) without decay on biases and norms."""
    import torch

    n_layers = int(getattr(model.config, "num_hidden_layers", 0) or 0)
    groups: dict[tuple[float, bool], list[Any]] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            decays = param.ndim >= 2 and "norm" not in name.lower()
            groups.setdefault((_lr_scale(name, config, n_layers), decays), []).append(param)
    param_groups = [
        {
            "params": params,
            "lr": config.lr * scale,
            "weight_decay": config.weight_decay if decays else 0.0,
        }
        for (scale, decays), params in groups.items()
    ]
    try:
        return torch.optim.AdamW(param_groups, lr=config.lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # fused needs a recent torch build
        log.info("fused AdamW unavailable; using the default implementation")
        return torch.optim.AdamW(param_groups, lr=config.lr)


def configure_model(model: Any, config: TrainConfig) -> None:
    """Freeze what the config fixes and set dropout, before the optimiser is built."""
    import torch

    if config.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if config.freeze_layers:
        encoder = getattr(model, "base_model", model)
        layers = getattr(getattr(encoder, "encoder", None), "layer", None)
        embeddings = getattr(encoder, "embeddings", None)
        if layers is None or embeddings is None:
            log.warning("freeze_layers ignored: %s has no BERT-like encoder", type(model))
        else:
            for module in [embeddings, *list(layers)[: config.freeze_layers]]:
                module.requires_grad_(False)
    if config.dropout is not None:
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = config.dropout


def linear_schedule(optimizer: Any, warmup: int, total: int) -> Any:
    """Linear warmup to the base learning rate over ``warmup`` steps, then linear decay to 0."""
    import torch

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def use_bf16(setting: bool | None) -> bool:
    """bf16 autocast: as asked, or (None) where the CPU has native bf16 matrix units."""
    from engine.training.cpu import has_native_bf16

    return has_native_bf16() if setting is None else setting


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


@dataclass
class LoopState:
    """What the loop reports back: steps run, best eval F1, stop reason, log lines."""

    epochs: int = 0
    steps: int = 0
    total_steps: int = 0
    last_loss: float | None = None
    best_f1: float | None = None
    best_epoch: int = 0
    best_metrics: dict[str, Any] | None = None
    stopped: str = "completed"
    bf16: bool = False
    precision: str = "fp32"
    log: list[str] = field(default_factory=list)


class FitLoop:
    """One fine-tuning run over prepared rows; call :meth:`run`."""

    def __init__(
        self,
        model: Any,
        rows: Sequence[Row],
        config: TrainConfig,
        pad_id: int,
        *,
        evaluate: EvalFn | None = None,
        on_event: Any = None,
        cancel: CancelToken | None = None,
        seed: int = 0,
        device: Any = None,
        parallel: Any = None,
    ) -> None:
        import torch

        from engine.training.device import precision_for

        self.model, self.rows, self.config, self.pad_id = model, rows, config, pad_id
        self.evaluate = evaluate
        self.throttle = Throttle(on_event, 0.1)
        self.cancel = cancel
        self.rng = random.Random(seed)
        self.state = LoopState()
        self.device = device if device is not None else torch.device("cpu")
        self.parallel = parallel
        self.precision = precision_for(self.device, config.bf16)
        self._set_precision(self.precision)
        self.scaler = torch.amp.GradScaler(self.device.type) if self.precision.scaler else None
        self.governor: ThreadGovernor | None = None
        if config.threads is None and self.device.type == "cpu":
            self.governor = ThreadGovernor(torch.get_num_threads())

    def _set_precision(self, precision: Any) -> None:
        self.precision = precision
        self.bf16 = self.state.bf16 = precision.name == "bf16"
        self.state.precision = precision.name

    def run(self) -> LoopState:
        """Train; raises Cancelled when the token is set (checked every step)."""
        cfg, st = self.config, self.state
        per_epoch = math.ceil(len(self.rows) / cfg.batch_size)
        st.epochs = cfg.epochs_for(per_epoch)
        st.total_steps = per_epoch * st.epochs
        self.optimizer = make_optimizer(self.model, cfg)
        self.scheduler = linear_schedule(
            self.optimizer, int(cfg.warmup_ratio * st.total_steps), st.total_steps
        )
        self.started = time.monotonic()
        self.deadline = self.started + cfg.max_minutes * 60 if cfg.max_minutes else math.inf
        self.best_weights: dict[str, Any] | None = None
        # Data-parallel workers all draw the same global batches (same seed) and each runs
        # its share of every batch: steps, learning rate and effective batch stay those of
        # one process, and DDP averages the gradients.
        self.forward_model = self.parallel.wrap(self.model) if self.parallel else self.model
        self.model.train()
        lengths = [len(ids) for ids, _ in self.rows]
        for epoch in range(1, st.epochs + 1):
            for batch in bucketed_batches(lengths, cfg.batch_size, self.rng):
                check(self.cancel)
                if self.governor is not None:
                    self.governor.poll()
                if self._past_deadline():
                    st.stopped = f"time limit of {cfg.max_minutes} min reached"
                    break
                if self.parallel is not None:
                    batch = self.parallel.shard(batch)
                self._step(epoch, [self.rows[i] for i in batch])
            if self._end_epoch(epoch):
                break
        self._restore_best()
        return st

    def _past_deadline(self) -> bool:
        late = time.monotonic() > self.deadline
        if self.parallel is not None and self.deadline != math.inf:
            return bool(self.parallel.any(late))  # every worker stops at the same step
        return late

    def _step(self, epoch: int, batch: list[Row]) -> None:
        import torch

        from engine.training.device import Precision, to_device

        inputs = to_device(collate(batch, self.pad_id), self.device)
        try:
            loss = self._forward(inputs)
        except RuntimeError:
            if not (self.precision.autocast and self.state.steps == 0):
                raise
            log.warning(
                "%s autocast failed on %s; training in float32",
                self.precision.name,
                self.device,
                exc_info=True,
            )
            self._set_precision(Precision("fp32", None, False))
            self.scaler = None
            self.optimizer.zero_grad(set_to_none=True)
            loss = self._forward(inputs)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        if self.config.clip:
            torch.nn.utils.clip_grad_norm_(
                [p for p in self.model.parameters() if p.requires_grad], self.config.clip
            )
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        st = self.state
        st.steps += 1
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(f"the training loss became {value} at step {st.steps}")
        st.last_loss = value if st.last_loss is None else 0.9 * st.last_loss + 0.1 * value
        self._report(epoch)

    def _forward(self, inputs: dict[str, Any]) -> Any:
        import torch

        p = self.precision
        with torch.autocast(self.device.type, dtype=p.dtype or torch.bfloat16, enabled=p.autocast):
            return self.forward_model(**inputs).loss

    def _report(self, epoch: int, eval_f1: float | None = None, force: bool = False) -> None:
        st = self.state
        elapsed = time.monotonic() - self.started
        rate = st.steps * self.config.batch_size / elapsed if elapsed > 0 else None
        eta = elapsed / st.steps * (st.total_steps - st.steps) if st.steps else None
        self.throttle(
            TrainEvent(
                epoch=epoch,
                epochs=st.epochs,
                step=st.steps,
                total_steps=st.total_steps,
                loss=st.last_loss,
                examples_per_second=rate,
                eta_seconds=eta,
                eval_f1=eval_f1,
            ),
            force=force,
        )

    def _end_epoch(self, epoch: int) -> bool:
        """Evaluate, keep the best weights; True when training should stop.

        With a linearly decaying learning rate the best epoch is almost always in the second
        half, so early epochs are not evaluated (that would cost time, not change the result).
        """
        st, cfg = self.state, self.config
        stop = st.stopped != "completed"
        early = cfg.patience is None or epoch < (st.epochs + 1) // 2
        if self.evaluate is None or (early and epoch < st.epochs and not stop):
            st.log.append(f"epoch {epoch}: loss {_fmt(st.last_loss)}")
            return stop
        metrics = self.evaluate(self.model)
        f1 = metrics.get("f1")
        st.log.append(f"epoch {epoch}: loss {_fmt(st.last_loss)}, eval F1 {_fmt(f1)}")
        self._report(epoch, f1, force=True)
        if f1 is not None and (st.best_f1 is None or f1 > st.best_f1):
            st.best_f1, st.best_epoch, st.best_metrics = f1, epoch, metrics
            if epoch < st.epochs and not stop:
                self.best_weights = {
                    k: v.detach().clone() for k, v in self.model.state_dict().items()
                }
            else:
                self.best_weights = None
        elif cfg.patience is not None and epoch - st.best_epoch >= cfg.patience:
            st.stopped = f"early stop: no eval F1 gain for {cfg.patience} epochs"
            return True
        return stop

    def _restore_best(self) -> None:
        st = self.state
        if self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            st.log.append(
                f"kept the weights of epoch {st.best_epoch} (best eval F1 {st.best_f1:.4f})"
            )
        st.log.append(f"{st.steps} steps in {time.monotonic() - self.started:.1f} s; {st.stopped}")
