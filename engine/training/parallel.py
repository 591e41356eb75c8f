"""Data-parallel training through accelerate / torch.distributed (NCCL on GPUs, gloo on CPU).

Every worker runs the same entry point (``spantune train-bundle``) under ``torchrun`` or
``accelerate launch``, which set ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` and the rendezvous
address; ``spantune train-bundle --processes N`` starts ``torch.distributed.run`` itself for
the one-machine case. accelerate's ``Accelerator`` joins the process group and wraps the model
in ``DistributedDataParallel``; the rest is :class:`engine.training.loop.FitLoop`: every worker
draws the same global batches from the same seed and runs the ``rank::world`` share of each, so
the number of optimiser steps, the learning rate and the effective batch are those of one
process. Only rank 0 writes the version folder.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.errors import TrainingError, ValidationError

log = logging.getLogger(__name__)

INSTALL_HINT = "data-parallel training needs accelerate: pip install 'spantune[cluster]'"


def world_size() -> int:
    """Workers in this run according to the launcher's environment (1 when not launched)."""
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


@dataclass
class Parallel:
    """This worker's place in a data-parallel run, and the collectives the loop needs."""

    accelerator: Any
    rank: int
    world: int
    device: Any

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, batch: Sequence[int]) -> list[int]:
        """This worker's rows of a global batch (never empty: DDP needs every worker to step)."""
        mine = list(batch[self.rank :: self.world])
        return mine or [batch[self.rank % len(batch)]]

    def wrap(self, model: Any) -> Any:
        """``model`` wrapped for gradient averaging (DistributedDataParallel)."""
        return self.accelerator.prepare_model(model, device_placement=True)

    def any(self, flag: bool) -> bool:
        """True on every worker when ``flag`` is true on any of them."""
        import torch

        value = torch.tensor([1.0 if flag else 0.0], device=self.device)
        return bool(self.accelerator.reduce(value, reduction="sum").item() > 0)

    def barrier(self) -> None:
        self.accelerator.wait_for_everyone()

    def close(self) -> None:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def join(device_spec: str | None) -> Parallel:
    """Join the process group the launcher prepared, on ``cpu`` or this worker's GPU."""
    try:
        from accelerate import Accelerator
    except ImportError as exc:
        raise TrainingError(INSTALL_HINT) from exc
    from engine.training.device import check_device_name

    name = check_device_name(device_spec or "auto")
    import torch

    cpu = name == "cpu" or (name == "auto" and not torch.cuda.is_available())
    if name == "mps":
        raise ValidationError("data-parallel training runs on cpu or cuda, not mps", field="device")
    accelerator = Accelerator(cpu=cpu, mixed_precision="no")
    state = accelerator.state
    log.info(
        "worker %d of %d on %s (%s)",
        state.process_index,
        state.num_processes,
        accelerator.device,
        state.backend,
    )
    device = torch.device("cpu") if accelerator.device.type == "cpu" else accelerator.device
    return Parallel(accelerator, state.process_index, state.num_processes, device)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch_local(processes: int, argv: Sequence[str]) -> int:
    """Run ``spantune argv`` as ``processes`` workers on this machine (torch.distributed.run).

    The workers inherit the environment; ``argv`` must not ask for processes again. Returns
    the launcher's exit status.
    """
    try:
        import accelerate  # noqa: F401
    except ImportError as exc:
        raise TrainingError(INSTALL_HINT) from exc
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc_per_node={processes}",
        "--nnodes=1",
        "--master_addr=127.0.0.1",
        f"--master_port={free_port()}",
        "-m",
        "engine.cli.main",
        *argv,
    ]
    log.info("launching %d workers: %s", processes, " ".join(cmd))
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    return subprocess.call(cmd, env=env)
