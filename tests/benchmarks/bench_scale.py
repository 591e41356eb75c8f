"""Scoring a large pool: the local rescore against Ray (``local``, N actors).

Run from the repository root (not collected by pytest; needs ``pip install -e ".[cluster]"``)::

    nice python tests/benchmarks/bench_scale.py                  # 100k segments, 2 workers
    nice python tests/benchmarks/bench_scale.py --pool 20000 --workers 2

Builds a project with a synthetic pool (``--pool`` segments of 6-30 words drawn from a fixed
vocabulary, seeded) and one version: the bundled encoder with a fresh token-classification head
(scoring cost is that of a trained model). Each mode then runs in its own process (so the peak
resident memory of the driver, ``ru_maxrss``, is its own): the local rescore and
``rescore --ray local`` with ``--workers`` actors, both without pool subsampling. Prints
segments/s (the whole job: export excluded, pool read, prediction, ranking, store), the driver's
peak memory, and whether both stored queues (order and suggestions) are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

_TEXT = (
    "the a of in on at to and is was for with by from said visited company bank city "
    "river minister president club university market report today yesterday week "
    "john smith mary jones berlin paris london tokyo germany france china google apple "
    "shares rose fell percent million year government police court team match won lost "
    "new york united states european union officials told reporters on monday"
)
WORDS = _TEXT.split()


def build(folder: Path, n: int, seed: int) -> None:
    from engine.api import Project
    from engine.export.exporter import export_model
    from engine.models import fit_head, load_token_classifier, load_tokenizer
    from engine.models.base import bundled_model_dir
    from engine.store.corpus import insert_documents
    from engine.text.bio import tag_names
    from engine.types import DocumentData

    rng = random.Random(seed)
    labels = ["PER", "ORG", "LOC", "MISC"]
    project = Project.create(folder, labels)
    docs = []
    for d in range(0, n, 100):
        sents = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))) + " ."
            for _ in range(min(100, n - d))
        ]
        text, bounds, pos = "", [], 0
        for s in sents:
            bounds.append((pos, pos + len(s)))
            text += s + " "
            pos += len(s) + 1
        docs.append(DocumentData(text=text, segments=bounds, labelled=False))
    with project.db.write() as conn:
        insert_documents(
            conn,
            docs,
            source="synthetic",
            mode="sentences",
            as_suggestions=False,
            eval_share=0.1,
            seed=seed,
        )
    base = bundled_model_dir()
    model, tokenizer = load_token_classifier(base), load_tokenizer(base)
    fit_head(model, tag_names(labels))
    version = project.models_dir / "v0001"
    model.save_pretrained(str(version))
    tokenizer.save_pretrained(str(version))
    meta = {"labels": labels, "max_length": 256, "stride": 32, "decoding": "first-subtoken-bio"}
    (version / "spantune.json").write_text(json.dumps(meta), encoding="utf-8")
    export_model(version, version / "onnx-export")
    project.versions.register("v0001", base_model="bundled", metrics={}, counts={}, config={})
    project.close()


def run_mode(folder: Path, mode: str, workers: int, out: Path) -> None:
    from engine.api import Project

    with Project.open(folder) as project:
        started = time.monotonic()
        options = {"max_pool": None}
        if mode == "ray":
            from engine.active_learning.ray_rescore import ray_rescore

            result = ray_rescore(project, "local", workers=workers, **options)
        else:
            from engine.active_learning.rescore import rescore

            result = rescore(project, **options)
        seconds = time.monotonic() - started
        conn = project.db.connection()
        queue = conn.execute(
            "SELECT segment_id, score FROM al_scores ORDER BY score DESC, segment_id"
        ).fetchall()
        sugg = conn.execute(
            'SELECT segment_id, start, "end", label, round(score, 5) FROM'
            " suggestions ORDER BY segment_id, start"
        ).fetchall()
    try:  # VmHWM is this process image's own peak; ru_maxrss can carry the parent's over exec
        status = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
        hwm = [line for line in status if line.startswith("VmHWM:")][0]
        peak_mb = int(hwm.split()[1]) / 1024
    except (OSError, IndexError):
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "scored": result.scored + (result.eval_segments or 0),
                "peak_mb": peak_mb,
                "queue": queue,
                "suggestions": sugg,
            }
        ),
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pool", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=("local", "ray"), help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        run_mode(args.project, args.mode, args.workers, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scale.spantune"
        started = time.monotonic()
        build(folder, args.pool, args.seed)
        print(f"built a {args.pool}-segment project in {time.monotonic() - started:.0f} s")
        results = {}
        for mode in ("local", "ray"):
            out = Path(tmp) / f"{mode}.json"
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--mode",
                    mode,
                    "--project",
                    str(folder),
                    "--workers",
                    str(args.workers),
                    "--out",
                    str(out),
                ],
                check=True,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            results[mode] = json.loads(out.read_text(encoding="utf-8"))
    print(f"mode  | segments | seconds | segments/s | driver peak MB  ({os.cpu_count()} cores)")
    for mode, r in results.items():
        label = mode if mode == "local" else f"ray ({args.workers} actors)"
        print(
            f"{label:<16} | {r['scored']:>8} | {r['seconds']:>7.1f} | "
            f"{r['scored'] / r['seconds']:>10.1f} | {r['peak_mb']:>8.0f}"
        )
    same_q = results["local"]["queue"] == results["ray"]["queue"]
    same_s = results["local"]["suggestions"] == results["ray"]["suggestions"]
    print(f"queues identical: {same_q}; suggestions identical: {same_s}")


if __name__ == "__main__":
    main()
