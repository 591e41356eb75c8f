"""Review benchmark: does the K-fold review find corrupted labels in CoNLL-2003?

Run from the repository root (not collected by pytest)::

    nice python tests/benchmarks/bench_review.py                      # 2000 sentences, 5 folds
    nice python tests/benchmarks/bench_review.py --size 500 --folds 3 --epochs 2

Takes ``--size`` random sentences of ``train.txt`` (seeded), corrupts ``--rate`` (5 %) of their
entities in known ways, a quarter each: label swap, boundary shift by one word, deleted entity,
spurious span (a one-word span on a word outside any entity). Then runs the review
(:func:`engine.training.review.review_examples`, the bundled encoder, the project trainer's
defaults unless ``--epochs``) and prints, for the ranking by review score, by the model's plain
confidence (``1 - least word confidence of its own prediction``, the same fold models) and a
random ranking: precision and recall of the corrupted sentences in the top k (k = number
corrupted) and the area under the precision–recall curve (average precision). Reads
``../shared/data/conll2003`` (or ``$CONLL_DIR``); skips with a message when it is absent.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("CONLL_DIR", REPO.parent / "shared" / "data" / "conll2003"))
sys.path.insert(0, str(REPO))

KINDS = ("label_swap", "boundary_shift", "deleted", "spurious")


def load(size: int, seed: int) -> list[Any]:
    from engine.formats import read_file
    from engine.training.evaluate import document_examples

    examples: list[Any] = []
    for doc in read_file(DATA / "train.txt"):
        examples.extend(document_examples(doc, len(examples)))
    examples = [ex for ex in examples if ex.text.strip() and not ex.text.startswith("-DOCSTART-")]
    return random.Random(seed).sample(examples, size)


def corrupt(
    examples: list[Any], rate: float, labels: list[str], seed: int
) -> tuple[list[Any], set[int], dict[str, int]]:
    """Corrupt ``rate`` of all entities (at most one per sentence, plus spurious spans)."""
    from engine.text.tokens import whitespace_tokens
    from engine.types import SpanData

    rng = random.Random(seed + 1)
    total = sum(len(ex.spans) for ex in examples)
    wanted = max(4, round(rate * total))
    order = list(range(len(examples)))
    rng.shuffle(order)
    out = list(examples)
    corrupted: set[int] = set()
    counts = dict.fromkeys(KINDS, 0)
    for n, i in enumerate(order):
        if len(corrupted) >= wanted:
            break
        ex, kind = out[i], KINDS[n % 4]
        words = whitespace_tokens(ex.text)
        spans = list(ex.spans)
        if kind == "spurious":
            free = [
                w
                for w in words
                if not any(s.start < w.end and s.end > w.start for s in spans)
                and ex.text[w.start].isalpha()
            ]
            if not free:
                continue
            w = rng.choice(free)
            spans.append(SpanData(w.start, w.end, rng.choice(labels)))
        else:
            if not spans:
                continue
            k = rng.randrange(len(spans))
            s = spans[k]
            if kind == "label_swap":
                spans[k] = SpanData(s.start, s.end, rng.choice([x for x in labels if x != s.label]))
            elif kind == "deleted":
                del spans[k]
            else:  # boundary shift by one word: extend or shrink at one end
                shifted = _shift(s, words, spans, rng)
                if shifted is None:
                    continue
                spans[k] = shifted
        out[i] = replace(ex, spans=tuple(sorted(spans, key=lambda x: x.start)))
        corrupted.add(ex.segment_id)
        counts[kind] += 1
    return out, corrupted, counts


def _shift(s: Any, words: list[Any], spans: list[Any], rng: random.Random) -> Any:
    from engine.types import SpanData

    inside = [j for j, w in enumerate(words) if w.start >= s.start and w.end <= s.end]
    if not inside:
        return None
    first, last = inside[0], inside[-1]
    options = []
    if len(inside) > 1:
        options += [(words[first + 1].start, s.end), (s.start, words[last - 1].end)]
    taken = [(x.start, x.end) for x in spans if x is not s]
    if last + 1 < len(words) and all(
        not (a < words[last + 1].end and b > s.start) for a, b in taken
    ):
        options.append((s.start, words[last + 1].end))
    if first > 0 and all(not (a < s.end and b > words[first - 1].start) for a, b in taken):
        options.append((words[first - 1].start, s.end))
    if not options:
        return None
    start, end = rng.choice(options)
    return SpanData(start, end, s.label)


def ranking_metrics(scores: list[float], truth: list[bool]) -> dict[str, float]:
    order = np.argsort(-np.asarray(scores), kind="stable")
    hits = np.asarray(truth)[order]
    k = int(hits.sum())
    cum = np.cumsum(hits)
    precision_at = cum / np.arange(1, len(hits) + 1)
    ap = float((precision_at * hits).sum() / max(k, 1))
    return {"p_at_k": float(cum[k - 1] / k), "r_at_k": float(cum[k - 1] / k), "auc_pr": ap}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (DATA / "train.txt").is_file():
        print(f"CoNLL-2003 not found at {DATA}; skipping")
        return 0
    from engine.training import TrainConfig
    from engine.training.review import review_examples

    labels = ["PER", "ORG", "LOC", "MISC"]
    clean = load(args.size, args.seed)
    noisy, corrupted, counts = corrupt(clean, args.rate, labels, args.seed)
    entities = sum(len(ex.spans) for ex in clean)
    print(
        f"{len(noisy)} sentences, {entities} entities; corrupted {len(corrupted)} sentences "
        f"({', '.join(f'{k} {v}' for k, v in counts.items())})"
    )
    config = TrainConfig(epochs=args.epochs, seed=args.seed)
    started = time.monotonic()
    result = review_examples(noisy, labels, args.folds, config)
    seconds = time.monotonic() - started
    items = result.items
    truth = [i.segment_id in corrupted for i in items]
    rng = np.random.default_rng(args.seed)
    rows = {
        "review": ranking_metrics([i.score + (1.0 if i.issues else 0.0) for i in items], truth),
        "confidence": ranking_metrics([i.uncertainty for i in items], truth),
        "random": ranking_metrics(list(rng.random(len(items))), truth),
    }
    print(
        f"review: {args.folds} folds, epochs {args.epochs or 'auto'}, {seconds:.0f} s "
        f"({len(result.flagged)} sentences flagged)"
    )
    print(f"{'ranking':<12} {'P@k':>6} {'R@k':>6} {'AUC-PR':>7}   (k = {len(corrupted)})")
    for name, m in rows.items():
        print(f"{name:<12} {m['p_at_k']:6.3f} {m['r_at_k']:6.3f} {m['auc_pr']:7.3f}")
    top = {i.segment_id for i in items[: len(corrupted)]}
    by_kind = _recall_by_kind(noisy, clean, corrupted, top)
    print("recall@k by corruption kind: " + ", ".join(f"{k} {v}" for k, v in by_kind.items()))
    return 0


def _recall_by_kind(
    noisy: list[Any], clean: list[Any], corrupted: set[int], top: set[int]
) -> dict[str, str]:
    out: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
    for a, b in zip(noisy, clean, strict=True):
        if a.segment_id not in corrupted:
            continue
        if len(a.spans) > len(b.spans):
            kind = "spurious"
        elif len(a.spans) < len(b.spans):
            kind = "deleted"
        elif any(x.label != y.label for x, y in zip(a.spans, b.spans, strict=True)):
            kind = "label_swap"
        else:
            kind = "boundary_shift"
        out[kind][1] += 1
        out[kind][0] += a.segment_id in top
    return {k: f"{h}/{n}" for k, (h, n) in out.items()}


if __name__ == "__main__":
    sys.exit(main())
