"""Crash-safety benchmark: 50+ SIGKILL trials per scenario (span edits, import, migration,
training ending in a version write, ONNX export, online backup, restore, rescore's export).
Prints trials, failures (target: 0) and seconds per scenario.

Run: .venv/bin/python tests/benchmarks/bench_crash_safety.py [--trials 50] [--only spans,import]
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main() -> int:
    from tests.engine import crash_harness as h

    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument(
        "--only", default="spans,import,migration,training,export,backup,restore,rescore"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scenarios = {}
        if "spans" in only:
            scenarios["spans"] = h.spans_trial
        if "import" in only:
            big = h.write_big_file(root / "big.txt", 20_000)
            scenarios["import"] = functools.partial(h.import_trial, big_file=big, lines=20_000)
        if "migration" in only:
            scenarios["migration"] = h.migration_trial
        if "backup" in only:
            scenarios["backup"] = h.backup_trial
        if "restore" in only:
            scenarios["restore"] = h.restore_trial
        if only & {"training", "export", "rescore"}:
            from tests.engine.tiny_model import build_tiny_model

            base = build_tiny_model(root / "tiny", ["PER"])
            if "training" in only:
                scenarios["training"] = functools.partial(h.training_trial, base_model=base)
            trained = h.trained_project(root, base) if only & {"export", "rescore"} else None
            if "export" in only:
                previous = h.prepared_export(trained, root / "previous-export")
                scenarios["export"] = functools.partial(
                    h.export_trial, trained_project=trained, previous_export=previous
                )
            if "rescore" in only:
                scenarios["rescore"] = functools.partial(h.rescore_trial, trained_project=trained)
        total_fail = 0
        for name, trial in scenarios.items():
            t0 = time.perf_counter()
            outcome = h.run_trials(name, trial, args.trials, root / "work", seed=42)
            dt = time.perf_counter() - t0
            total_fail += len(outcome.failures)
            print(
                f"{name:10s} trials {outcome.trials:3d}  failures {len(outcome.failures)}"
                f"  ({dt:.0f} s)"
            )
            for f in outcome.failures[:5]:
                print("   ", f)
        print(f"total failures: {total_fail}")
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main())
