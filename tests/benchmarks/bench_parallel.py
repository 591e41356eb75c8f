"""Data-parallel training on CPU: 1 against N gloo processes on the same bundle.

Run from the repository root (not collected by pytest)::

    nice python tests/benchmarks/bench_parallel.py --train 600 --eval 500
    python tests/benchmarks/bench_parallel.py --data /path/to/conll2003 --processes 2

A seeded random subset of CoNLL-2003 ``train.txt`` and of ``dev.txt`` (the eval split) becomes
one training bundle with the bundled encoder; ``spantune train-bundle`` trains it with 1 and
with N processes (same seed, same step budget, same global batch) and the eval-split entity
F1, wall time (process start-up included) and sentences/s of each are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def load(path: Path, n: int, seed: int) -> list:
    from engine.formats import read_file
    from engine.training.evaluate import document_examples

    examples: list = []
    for doc in read_file(path):
        examples.extend(document_examples(doc, len(examples)))
    examples = [ex for ex in examples if ex.text.strip() and "-DOCSTART-" not in ex.text]
    return random.Random(seed).sample(examples, min(n, len(examples)))


def run(bundle: Path, out: Path, processes: int, device: str) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "engine.cli.main",
        "train-bundle",
        str(bundle),
        str(out),
        "--device",
        device,
        "--processes",
        str(processes),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    meta = json.loads((out / "spantune.json").read_text(encoding="utf-8"))
    return {
        "processes": processes,
        "f1": meta["metrics"]["f1"],
        "seconds": round(seconds, 1),
        "train_seconds": meta["metrics"]["training"]["seconds"],
        "steps": meta["metrics"]["training"]["steps"],
        "epochs": meta["metrics"]["training"]["epochs"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "conll2003")
    parser.add_argument("--train", type=int, default=600)
    parser.add_argument("--eval", type=int, default=500)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (args.data / "train.txt").is_file():
        print(f"skipped: CoNLL-2003 not found at {args.data}")
        return
    from engine.models.base import bundled_model_dir
    from engine.training.bundle import bundle_from_examples
    from engine.training.config import TrainConfig

    train = load(args.data / "train.txt", args.train, args.seed)
    evaluation = load(args.data / "dev.txt", args.eval, args.seed)
    labels = ["PER", "ORG", "LOC", "MISC"]
    with tempfile.TemporaryDirectory() as tmp:
        bundle = bundle_from_examples(
            Path(tmp) / "bundle",
            labels,
            train,
            evaluation,
            TrainConfig(seed=args.seed),
            name="bundled",
            base_folder=bundled_model_dir(),
        )
        rows = [run(bundle, Path(tmp) / f"v{n}", n, args.device) for n in (1, args.processes)]
    n_train = len(train)
    print(f"{n_train} train sentences, {len(evaluation)} eval sentences, device {args.device}")
    print("processes | eval F1 | wall s | train s | sentences/s | steps | epochs")
    for r in rows:
        rate = n_train * r["epochs"] / r["train_seconds"]
        print(
            f"{r['processes']:>9} | {r['f1']:.4f} | {r['seconds']:>6} | "
            f"{r['train_seconds']:>7} | {rate:>11.1f} | {r['steps']:>5} | {r['epochs']}"
        )
    print(f"F1 difference: {(rows[1]['f1'] - rows[0]['f1']) * 100:+.2f} points")


if __name__ == "__main__":
    main()
