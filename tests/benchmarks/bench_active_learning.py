"""Active-learning benchmark on CoNLL-2003: strategies against random, and rescoring speed.

Usage (from the repository root)::

    .venv/bin/python tests/benchmarks/bench_active_learning.py
        [--part all|simulate|rescore|queue|pool] [--big-pool 200000] [--baseline-ref REF]
        [--strategies mnlp,random,bald] [--seeds 3] [--pool-size 5000] [--seed-size 100]
        [--batch-size 100] [--max-labelled 1600] [--test-limit N] [--out DIR]
        [--max-minutes M] [--quick] [--no-diversity]

``simulate``: pool of ``--pool-size`` train sentences, a random seed set, batches up to
``--max-labelled`` labelled sentences, each strategy over ``--seeds`` seeds; prints F1 per round
and the labelled tokens each strategy needed to reach random's final F1 (results.csv, the plot
and summary.json land in ``--out``; rerunning resumes). Tens of minutes per seed and strategy on
2 cores: use ``--quick`` for a reduced check. ``rescore``: time to rescore a 10,000-sentence pool
with a model trained on 100 sentences (first run exports to ONNX, second reuses the export).
``queue``: ``queue_page`` latency on a 100,000-segment project. ``pool``: ``rescore`` (mnlp;
the version already exported) and ``next -n 50`` without a model (the cold start; the base
encoder already exported) on a ``--big-pool``-segment project (CoNLL train sentences, then halves
of two sentences recombined), each in its own process so its peak RSS is its own, once with this
tree's code (or ``--after-ref``'s) and once with ``--baseline-ref``'s (``git archive``: the code
before streaming by default); prints seconds, segments/s (todo
segments / seconds), peak RSS and whether both stored the same queue and suggestions. Reads
``../shared/data/conll2003`` relative to the repository root and skips with a message where it is
absent. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "conll2003"


def conll_blocks(path: Path) -> list[str]:
    """The sentence blocks of a CoNLL file (``-DOCSTART-`` dropped)."""
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    return [b for b in blocks if b.strip() and not b.startswith("-DOCSTART-")]


def subset_file(src: Path, out: Path, limit: int | None) -> Path:
    if limit is None:
        return src
    out.write_text("\n\n".join(conll_blocks(src)[:limit]) + "\n", encoding="utf-8")
    return out


def run_simulation(args: argparse.Namespace, tmp: Path) -> None:
    from engine.active_learning.simulate import simulate

    rounds = max(0, (args.max_labelled - args.seed_size) // args.batch_size)
    out = Path(args.out) if args.out else tmp / "sim"
    test = subset_file(DATA / "test.txt", tmp / "test.conll", args.test_limit)
    print(
        f"simulation: pool {args.pool_size}, seed {args.seed_size}, batch {args.batch_size}, "
        f"{rounds} rounds, seeds {args.seeds}, strategies {args.strategies} -> {out}"
    )
    started = time.monotonic()
    result = simulate(
        DATA / "train.txt",
        test,
        args.strategies.split(","),
        args.seeds,
        args.seed_size,
        args.batch_size,
        rounds,
        out,
        pool_size=args.pool_size,
        max_minutes=args.max_minutes,
        base_model=args.base_model,
        on_event=_print_rounds,
        diversity=not args.no_diversity,
    )
    print(
        f"{result.rows} rows in {time.monotonic() - started:.0f} s "
        f"{'(stopped at the time limit)' if result.stopped_early else ''}"
    )
    print((out / "results.csv").read_text(encoding="utf-8"))
    print(result.summary)


def _print_rounds(event: object) -> None:
    if getattr(event, "stage", "") == "simulate":
        print(f"  [{event.done}/{event.total}] {event.message}", flush=True)  # type: ignore


def _pool_project(tmp: Path, n: int, model: Path) -> object:
    """A project with ``n`` todo CoNLL train sentences and ``model`` registered as v0001."""
    import shutil

    from engine.api import Project
    from engine.store.corpus import insert_documents
    from engine.types import DocumentData

    sentences = [
        " ".join(line.split()[0] for line in b.splitlines())
        for b in conll_blocks(DATA / "train.txt")
    ][:n]
    docs = []
    for lo in range(0, len(sentences), 20):
        part = sentences[lo : lo + 20]
        text, segs, pos = "\n".join(part), [], 0
        for s in part:
            segs.append((pos, pos + len(s)))
            pos += len(s) + 1
        docs.append(DocumentData(text=text, segments=segs, tokenized=True, labelled=False))
    project = Project.create(tmp / "rescore", ["PER", "ORG", "LOC", "MISC"])
    with project.db.write() as conn:
        insert_documents(
            conn, docs, source="conll", mode="sentences", as_suggestions=False, eval_share=0.15
        )
    shutil.copytree(model, project.models_dir / "v0001")
    project.versions.register("v0001", base_model="bundled", metrics={}, counts={}, config={})
    return project


def run_rescore(args: argparse.Namespace, tmp: Path) -> None:
    from engine.active_learning import rescore

    project = _pool_project(tmp, args.rescore_pool, _trained_model(args, tmp))
    try:
        for label, strategy in (
            ("mnlp, export included", "mnlp"),
            ("mnlp, export cached", "mnlp"),
            ("bald", "bald"),
            ("random", "random"),
        ):
            t0 = time.monotonic()
            result = rescore(project, strategy=strategy)  # type: ignore[arg-type]
            print(
                f"rescore {args.rescore_pool} segments ({label}): "
                f"{time.monotonic() - t0:.1f} s; {result.message}"
            )
    finally:
        project.close()  # type: ignore[attr-defined]


# The code before the streamed scoring jobs (the parent of the commit that streamed them).
BASELINE_REF = "950c292"
_CHILD = r"""
import json, sys, time


def peak_mb():  # this process's peak RSS (ru_maxrss would count the parent's, before exec)
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1024


from engine.api import Project
project = Project.open(sys.argv[1])
case = sys.argv[2]
before = peak_mb()
t0 = time.monotonic()
if case == "rescore":
    from engine.active_learning import rescore
    result = rescore(project, strategy="mnlp")
    detail = result.message
else:
    from engine.active_learning import next_segments
    detail = f"{len(next_segments(project, 50))} segments"
seconds = time.monotonic() - t0
todo = project.count_segments(status="todo")
project.close()
print(json.dumps({"seconds": seconds, "todo": todo, "detail": detail,
                  "rss_start_mb": before, "peak_rss_mb": peak_mb()}))
"""


def _recombined_sentences(n: int) -> list[str]:
    """``n`` sentences: CoNLL train's, then the first half of one joined to the second half of
    another (seeded)."""
    import random

    base = [[line.split()[0] for line in b.splitlines()] for b in conll_blocks(DATA / "train.txt")]
    out = [" ".join(t) for t in base[:n]]
    rng = random.Random(0)
    while len(out) < n:
        a, b = rng.choice(base), rng.choice(base)
        out.append(" ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2 :]))
    return out


def _big_project(path: Path, n: int) -> Path:
    from engine.api import Project
    from engine.store.corpus import insert_documents
    from engine.types import DocumentData

    sentences = _recombined_sentences(n)
    project = Project.create(path, ["PER", "ORG", "LOC", "MISC"])
    with project.db.write() as conn:
        for lo in range(0, n, 20_000):
            docs = []
            for d in range(lo, min(lo + 20_000, n), 20):
                part = sentences[d : d + 20]
                segs, pos = [], 0
                for s in part:
                    segs.append((pos, pos + len(s)))
                    pos += len(s) + 1
                docs.append(
                    DocumentData(
                        text="\n".join(part), segments=segs, tokenized=True, labelled=False
                    )
                )
            insert_documents(
                conn, docs, source="conll", mode="sentences", as_suggestions=False, eval_share=0.15
            )
    project.close()
    return Path(project.path)


def _child(tree: Path, project: Path, case: str) -> dict:
    import json
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(project), case],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=tree,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _stored(project: Path, version: str, strategy: str) -> tuple[list, list]:
    import sqlite3

    from engine.api import DB_NAME

    conn = sqlite3.connect(project / DB_NAME)
    try:
        queue = [
            r[0]
            for r in conn.execute(
                "SELECT segment_id FROM al_scores WHERE model_version = ? AND strategy = ?"
                " ORDER BY score DESC",
                (version, strategy),
            )
        ]
        sugg = conn.execute(
            'SELECT segment_id, start, "end", label, score FROM suggestions ORDER BY id'
        ).fetchall()
    finally:
        conn.close()
    return queue, sugg


def run_pool(args: argparse.Namespace, tmp: Path) -> None:
    import shutil
    import subprocess

    from engine.active_learning.embedder import base_model_dir, cache_folder, export_encoder
    from engine.api import Project

    trees = {"before": tmp / "before", "after": tmp / "after" if args.after_ref else REPO}
    for name, ref in (("before", args.baseline_ref), ("after", args.after_ref)):
        if ref:
            trees[name].mkdir()
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", ref, "engine"], check=True, capture_output=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(trees[name])], input=archive, check=True)
    t0 = time.monotonic()
    big = _big_project(tmp / "big", args.big_pool)
    print(f"pool: {args.big_pool} segments imported in {time.monotonic() - t0:.1f} s")
    # the base encoder is exported once (torch) and cached in the project: not part of a case
    encoder = base_model_dir(args.base_model)
    export_encoder(encoder, cache_folder(big, encoder))
    model = _trained_model(args, tmp)
    from engine.active_learning.rescore import EXPORT_FOLDER
    from engine.export.exporter import export_model

    t0 = time.monotonic()  # once per version (torch): not part of a case either
    export_model(model, model / EXPORT_FOLDER, quantize=True)
    print(f"exported the model to int8 ONNX in {time.monotonic() - t0:.0f} s")
    results: dict[tuple[str, str], dict] = {}
    for case in args.cases.split(","):
        for name, tree in trees.items():
            copy = tmp / f"{case}-{name}" / big.name
            shutil.copytree(big, copy)
            if case == "rescore":
                project = Project.open(copy)
                shutil.copytree(model, project.models_dir / "v0001")
                project.versions.register(
                    "v0001", base_model="bundled", metrics={}, counts={}, config={}
                )
                project.close()
            r = _child(tree, copy, case)
            results[(case, name)] = r
            print(
                f"{case} {name}: {r['seconds']:.1f} s, {r['todo'] / r['seconds']:.0f} "
                f"segments/s, peak RSS {r['peak_rss_mb']:.0f} MB (at start "
                f"{r['rss_start_mb']:.0f} MB); {r['detail']}",
                flush=True,
            )
        key = ("v0001", "mnlp") if case == "rescore" else ("cold-start", "cold-start")
        same = [_stored(tmp / f"{case}-{n}" / big.name, *key) for n in ("before", "after")]
        print(
            f"{case}: identical queue {same[0][0] == same[1][0]} ({len(same[0][0])} rows), "
            f"identical suggestions {same[0][1] == same[1][1]} ({len(same[0][1])} rows)"
        )
        for n in ("before", "after"):
            shutil.rmtree(tmp / f"{case}-{n}")


def _trained_model(args: argparse.Namespace, tmp: Path) -> Path:
    from engine.active_learning.simulate import _examples
    from engine.training import TrainConfig, train_examples

    if (tmp / "model").is_dir():
        return tmp / "model"
    examples = _examples(DATA / "train.txt")[:100]
    labels = sorted({s.label for ex in examples for s in ex.spans})
    t0 = time.monotonic()
    train_examples(
        examples, [], labels, TrainConfig(epochs=3, base_model=args.base_model), tmp / "model"
    )
    print(f"trained a 100-sentence model in {time.monotonic() - t0:.0f} s")
    return tmp / "model"


def run_queue(tmp: Path) -> None:
    import numpy as np

    from engine.active_learning import queue_page
    from engine.active_learning.queue import COLD_START, mix_eval, store_order
    from engine.api import Project
    from engine.store.corpus import insert_documents
    from engine.types import DocumentData

    rng = np.random.default_rng(0)
    words = [
        "the",
        "a",
        "of",
        "john",
        "smith",
        "visited",
        "paris",
        "london",
        "bank",
        "city",
        "river",
        "said",
    ]
    docs = []
    for i in range(10_000):
        sents = [" ".join(rng.choice(words, size=12)) + f" d{i}s{j} ." for j in range(10)]
        segs, pos = [], 0
        for s in sents:
            segs.append((pos, pos + len(s)))
            pos += len(s) + 1
        docs.append(DocumentData(text=" ".join(sents), segments=segs, labelled=False))
    project = Project.create(tmp / "queue", ["PER"])
    with project.db.write() as conn:
        insert_documents(
            conn, docs, source="x", mode="sentences", as_suggestions=False, eval_share=0.15
        )
        train = [r[0] for r in conn.execute("SELECT id FROM segments WHERE split = 'train'")]
        evals = [r[0] for r in conn.execute("SELECT id FROM segments WHERE split = 'eval'")]
        store_order(
            conn, COLD_START, COLD_START, mix_eval(list(rng.permutation(train)), evals, 0.15, rng)
        )
        conn.execute("UPDATE segments SET status = 'labelled' WHERE id % 3 = 0")
    try:
        for status in (None, "todo"):
            for offset in (0, 5_000, 50_000):
                times = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    queue_page(project, offset, 100, status=status)
                    times.append(time.perf_counter() - t0)
                print(
                    f"queue_page status={status} offset={offset}: "
                    f"{1000 * statistics.median(times):.1f} ms (median of 5)"
                )
            t0, last, pages = time.perf_counter(), None, 0
            while True:
                page = queue_page(project, 0, 100, status=status, after=last)
                if not page or page[-1].priority is None:
                    break
                last, pages = page[-1].priority, pages + 1
            print(
                f"cursor walk status={status}: {pages} pages, "
                f"{1000 * (time.perf_counter() - t0) / max(pages, 1):.2f} ms/page"
            )
    finally:
        project.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--part", default="all", choices=["all", "simulate", "rescore", "queue", "pool"]
    )
    parser.add_argument("--strategies", default="mnlp,random,bald")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--pool-size", type=int, default=5000)
    parser.add_argument("--seed-size", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--max-labelled", type=int, default=1600)
    parser.add_argument("--test-limit", type=int, default=None)
    parser.add_argument("--rescore-pool", type=int, default=10_000)
    parser.add_argument(
        "--data", default=None, help="the CoNLL-2003 folder (default ../shared/data/conll2003)"
    )
    parser.add_argument("--big-pool", type=int, default=200_000)
    parser.add_argument("--cases", default="next,rescore", help="the pool part's cases")
    parser.add_argument(
        "--baseline-ref",
        default=BASELINE_REF,
        help="the git commit whose engine/ is the 'before' of the pool part",
    )
    parser.add_argument(
        "--after-ref", default=None, help="a commit for the 'after' (default: this working tree)"
    )
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--base-model", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--no-diversity",
        action="store_true",
        help="rank batches by the strategy alone (no diversity re-ranking)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="reduced run: pool 600, seed 50, batch 50 up to 150, 1 seed, "
        "500 test sentences, mnlp,random, rescore pool 2000",
    )
    args = parser.parse_args()
    global DATA
    DATA = Path(args.data) if args.data else DATA
    if args.quick:
        args.pool_size, args.seed_size, args.batch_size, args.max_labelled = 600, 50, 50, 150
        args.seeds, args.test_limit, args.strategies = 1, 500, "mnlp,random"
        args.rescore_pool = 2000
    if not (DATA / "train.txt").is_file():
        print(f"skipped: CoNLL-2003 not found at {DATA}")
        return 0
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.part in ("all", "queue"):
            run_queue(tmp)
        if args.part in ("all", "rescore"):
            run_rescore(args, tmp)
        if args.part in ("all", "pool"):
            run_pool(args, tmp)
        if args.part in ("all", "simulate"):
            run_simulation(args, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
