"""Import benchmark: CoNLL-2003 train (14,041 sentences) into a new project, then a 200 MB
JSON Lines file.

Part 1 prints sentences/s of the full import (read + validate + store in one transaction), and,
measured in the same run as baselines, the reader alone and a bare SQLite insert of the same
sentences. Target: at least 10,000 sentences/s on 2 cores.

Part 2 (``--big``, or ``--big-mb N``) writes a JSON Lines file of about 200 MB (documents of ten
CoNLL-2003 sentences with their spans, each document made unique), imports it in a child process
and prints the time, sentences/s and the child's peak RSS: the import streams the file, so the
peak stays near the largest document, not the file size.
Run: .venv/bin/python tests/benchmarks/bench_import.py [--big] [--big-mb 200] [--skip-small]
Data: ../shared/data/conll2003 (or the folder in $CONLL2003_DIR).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DATA = Path(os.environ.get("CONLL2003_DIR", REPO.parent / "shared" / "data" / "conll2003"))
TRAIN = DATA / "train.txt"


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def write_big_jsonl(path: Path, megabytes: float) -> int:
    """Documents of ten CoNLL-2003 sentences (with spans) until ``megabytes``; returns the
    number of sentences written."""
    from engine.formats import read_file

    sentences = []
    for doc in read_file(TRAIN, "conll"):
        starts = [s.start for s in doc.spans]
        for a, b in doc.segments or []:
            spans = [
                {"start": s.start - a, "end": s.end - a, "label": s.label}
                for s in doc.spans[bisect.bisect_left(starts, a) : bisect.bisect_left(starts, b)]
            ]
            sentences.append((doc.text[a:b], spans))
    limit = int(megabytes * 1024 * 1024)
    written = count = 0
    with path.open("w", encoding="utf-8") as out:
        k = 0
        while written < limit:
            parts, spans, pos = [], [], 0
            first = f"Document {k}."
            parts.append(first)
            pos = len(first) + 1
            for i in range(10):
                text, sent_spans = sentences[(k * 10 + i) % len(sentences)]
                spans += [
                    {"start": s["start"] + pos, "end": s["end"] + pos, "label": s["label"]}
                    for s in sent_spans
                ]
                parts.append(text)
                pos += len(text) + 1
            line = (
                json.dumps({"text": " ".join(parts), "spans": spans, "id": k}, ensure_ascii=False)
                + "\n"
            )
            out.write(line)
            written += len(line.encode("utf-8"))
            count += 11  # "Document k." and ten sentences
            k += 1
    return count


CHILD = """
import sys, time, resource
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from engine.api import Project
with Project.create(Path(sys.argv[1]), ["PER", "ORG", "LOC", "MISC"]) as p:
    t = time.perf_counter()
    report = p.import_files([Path(sys.argv[2])], "jsonl")
    took = time.perf_counter() - t
print(took, report.documents, report.segments, report.spans,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def big_import(megabytes: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        t = time.perf_counter()
        write_big_jsonl(path, megabytes)
        size = path.stat().st_size
        print(f"big JSONL: {size / 1024 / 1024:.1f} MB written in {time.perf_counter() - t:.1f} s")
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(Path(tmp) / "big"), str(path), str(REPO)],
            capture_output=True,
            text=True,
            check=True,
        )
        took, docs, segments, spans, rss_kb = done.stdout.split()
        rate = int(segments) / float(took)
        print(
            f"big import: {docs} documents, {segments} segments (sentences), {spans} spans "
            f"in {float(took):.1f} s = {rate:,.0f} sentences/s"
        )
        print(
            f"big import peak RSS (child process): {int(rss_kb) / 1024:.0f} MB "
            f"for a {size / 1024 / 1024:.0f} MB file"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", action="store_true", help="also run the 200 MB JSONL case")
    parser.add_argument("--big-mb", type=float, default=None, help="size of the big case")
    parser.add_argument("--skip-small", action="store_true")
    args = parser.parse_args()
    if not TRAIN.is_file():
        print(f"skipped: {TRAIN} not found (CoNLL-2003 lives in ../shared/data/conll2003)")
        return 0
    if not args.skip_small:
        small_import()
    if args.big or args.big_mb:
        big_import(args.big_mb or 200.0)
    return 0


def small_import() -> None:
    from engine.api import Project
    from engine.formats import read_file

    docs = read_file(TRAIN, "conll")
    sentences = sum(len(d.segments or []) for d in docs)

    def full_import() -> None:
        with (
            tempfile.TemporaryDirectory() as tmp,
            Project.create(Path(tmp) / "bench", ["PER", "ORG", "LOC", "MISC"]) as p,
        ):
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
            conn.executemany(
                "INSERT INTO s (doc, a, b, t) VALUES (?, ?, ?, ?)",
                [(i, a, b, d.text[a:b]) for i, d in enumerate(docs) for a, b in d.segments or []],
            )
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
    print(
        f"ratio full import time / (reader + bare insert) time: {t_full / (t_read + t_bare):.2f}x"
    )


if __name__ == "__main__":
    sys.exit(main())
