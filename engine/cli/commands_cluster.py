"""Train elsewhere: bundle, train-bundle (optionally data-parallel)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.api import Project
from engine.cli.args import Subparsers, add_command
from engine.cli.output import ProgressBar, print_json
from engine.errors import TrainingError, ValidationError


def register(sub: Subparsers) -> None:
    p = add_command(
        sub, "bundle", cmd_bundle, help="write a self-contained training bundle of a project"
    )
    p.add_argument("out", type=Path, help="a new folder")
    p.add_argument("--base-model", default=None, help="'bundled', a local folder or a hub id")
    p.add_argument(
        "--warm-start", action="store_true", help="bundle the active version as the base model"
    )
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)

    p = add_command(
        sub,
        "train-bundle",
        cmd_train_bundle,
        project=False,
        json="print the version's metadata as JSON",
        help="train from a bundle and write an ordinary version folder",
    )
    p.add_argument("bundle", type=Path)
    p.add_argument("out_dir", type=Path, help="a new folder for the version")
    p.add_argument(
        "--device",
        default=None,
        help="auto, cpu, cuda, cuda:N or mps (default: the bundle's setting)",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="data-parallel workers on this machine (torch.distributed through "
        "accelerate: NCCL on GPUs, gloo on CPU)",
    )
    p.add_argument("--seed", type=int, default=None)


def cmd_bundle(args: argparse.Namespace) -> int:
    from engine.training.config import TrainConfig

    overrides: dict[str, Any] = {"warm_start": args.warm_start}
    for key in ("base_model", "epochs", "seed"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    with Project.open(args.project, read_only=True) as project:
        out = project.write_bundle(args.out, TrainConfig(**overrides))
    print(f"wrote training bundle {out}")
    return 0


def _worker_argv(args: argparse.Namespace) -> list[str]:
    argv = ["train-bundle", str(args.bundle), str(args.out_dir)]
    if args.device:
        argv += ["--device", args.device]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    return argv + (["--json"] if args.json else [])


def cmd_train_bundle(args: argparse.Namespace) -> int:
    from engine.training.bundle import train_bundle
    from engine.training.parallel import join, launch_local, world_size

    if args.processes < 1:
        raise ValidationError("must be at least 1", field="--processes")
    if args.processes > 1 and world_size() == 1:
        status = launch_local(args.processes, _worker_argv(args))
        if status != 0:
            raise TrainingError(
                f"the {args.processes} training workers failed (exit status "
                f"{status}); see their messages above"
            )
        return 0
    parallel = join(args.device) if world_size() > 1 else None
    main = parallel is None or parallel.main
    bar = ProgressBar("train") if main else None
    try:
        meta = train_bundle(
            args.bundle,
            args.out_dir,
            device=args.device,
            seed=args.seed,
            parallel=parallel,
            on_event=bar,
        )
    finally:
        if bar is not None:
            bar.close()
        if parallel is not None:
            parallel.close()
    if not main:
        return 0
    if args.json:
        print_json(meta)
        return 0
    config = meta.get("config", {})
    f1 = (meta.get("metrics") or {}).get("f1")
    print(
        f"trained {args.out_dir} in {meta.get('seconds', 0):.1f} s on "
        f"{meta['counts'].get('train_sentences', '?')} sentences ({config.get('device_name')}"
        f", {config.get('processes', 1)} process{'es' if config.get('processes', 1) > 1 else ''}"
        f"); eval F1 {'n/a' if f1 is None else f'{f1:.4f}'}",
        file=sys.stdout,
    )
    return 0
