"""Import benchmark: CoNLL-2003 train (14,041 sentences) into a new project.

Prints sentences/s of the full import (read + validate + store in one transaction), and, measured
in the same run as baselines, the reader alone and a bare SQLite insert of the same sentences.
Target: at least 10,000 sentences/s on 2 cores.
Run: .venv/bin/python tests/benchmarks/bench_import.py
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
TRAIN = REPO.parent / "shared" / "data" / "conll2003" / "train.txt"


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    if not TRAIN.is_file():
        print(f"skipped: {TRAIN} not found (CoNLL-2003 lives in ../shared/data/conll2003)")
        return 0
    from engine.api import Project
    from engine.formats import read_file

    docs = read_file(TRAIN, "conll")
    sentences = sum(len(d.segments or []) for d in docs)

    def full_import() -> None:
        with tempfile.TemporaryDirectory() as tmp, \
                Project.create(Path(tmp) / "bench", ["PER", "ORG", "LOC", "MISC"]) as p:
            report = p.import_files([TRAIN], "conll")
            assert report.segments == sentences, report

    def reader_only() -> None:
        read_file(TRAIN, "conll")

    def bare_sqlite() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            conn = sqlite3.connect(Path(tmp) / "b.sqlite", isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, doc INT, a INT, b INT, t TEXT)")
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO s (doc, a, b, t) VALUES (?, ?, ?, ?)",
                             [(i, a, b, d.text[a:b]) for i, d in enumerate(docs)
                              for a, b in d.segments or []])
            conn.execute("COMMIT")
            conn.close()

    t_full = best_of(full_import)
    t_read = best_of(reader_only)
    t_bare = best_of(bare_sqlite)
    rate = sentences / t_full
    print(f"sentences: {sentences}")
    print(f"full import: {t_full:.3f} s = {rate:,.0f} sentences/s (target >= 10,000)")
    print(f"reader only: {t_read:.3f} s = {sentences / t_read:,.0f} sentences/s")
    print(f"bare SQLite insert of the same sentences: {t_bare:.3f} s")
    print(f"ratio full import / target: {rate / 10_000:.2f}x")
    print(f"ratio full import time / (reader + bare insert) time: "
          f"{t_full / (t_read + t_bare):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
