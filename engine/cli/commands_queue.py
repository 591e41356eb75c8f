"""Active-learning commands: next, rescore, simulate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from engine.api import Project
from engine.cli.args import Subparsers, add_command
from engine.cli.output import ProgressBar, print_json, print_table


def register(sub: Subparsers) -> None:
    p = add_command(sub, "next", cmd_next, help="the next segments worth labelling", json=True)
    p.add_argument("-n", type=int, default=10)
    p.add_argument("--strategy", default=None)

    p = add_command(
        sub, "rescore", cmd_rescore, help="re-score the unlabelled pool with the active model"
    )
    p.add_argument("--strategy", default=None)
    p.add_argument("--version", default=None)
    p.add_argument(
        "--ray",
        default=None,
        metavar="ADDRESS|local|off",
        help="score on Ray: a cluster address, or 'local' for a local instance "
        "(needs pip install 'spantune[cluster]'); 'off' scores here. Default: the "
        "project's 'ray' setting",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="Ray actors (default: one per CPU Ray offers)"
    )

    p = add_command(
        sub,
        "simulate",
        cmd_simulate,
        help="simulate active learning on a fully labelled file",
        project=False,
    )
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--test", type=Path, required=True)
    p.add_argument("--strategies", default="mnlp,random")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--seed-size", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--pool-size", type=int, default=None)
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--base-model", default=None)


def cmd_next(args: argparse.Namespace) -> int:
    with Project.open(args.project, read_only=True) as project:
        items = project.next_segments(args.n, args.strategy)
    rows: list[dict[str, Any]] = [
        {"segment": it.segment_id, "score": it.score, "eval": it.is_eval, "text": it.text}
        for it in items
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(
            ["segment", "score", "eval", "text"],
            [(r["segment"], r["score"], "eval" if r["eval"] else "", r["text"][:80]) for r in rows],
        )
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    bar = ProgressBar("rescore")
    with Project.open(args.project) as project:
        try:
            result = project.rescore(
                args.version, args.strategy, on_event=bar, ray=args.ray, workers=args.workers
            )
        finally:
            bar.close()
    print(result.message if hasattr(result, "message") else result)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from engine.api import simulate

    bar = ProgressBar("simulate")
    try:
        result = simulate(
            args.train,
            args.test,
            strategies=[s.strip() for s in args.strategies.split(",") if s.strip()],
            seeds=args.seeds,
            seed_size=args.seed_size,
            batch_size=args.batch_size,
            rounds=args.rounds,
            out_dir=args.out,
            pool_size=args.pool_size,
            max_minutes=args.max_minutes,
            base_model=args.base_model,
            on_event=bar,
        )
    finally:
        bar.close()
    summary = getattr(result, "summary", None)
    print(summary if summary is not None else result)
    print(f"results in {args.out}")
    return 0


__all__ = ["print_json", "register"]
