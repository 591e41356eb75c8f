"""Is the held-out score honest? A project's own eval F1 against the CoNLL-2003 test F1.

Run from the repository root (not collected by pytest)::

    nice python tests/benchmarks/bench_heldout.py                      # 300 sentences
    nice python tests/benchmarks/bench_heldout.py --sentences 300 --rules segments blocks

For each split rule, a fresh project is made of the first ``--sentences`` sentences of
``train.txt`` (one document: the file has no ``-DOCSTART-`` lines), trained with the default
configuration (bundled encoder, seed 0), and its reported held-out F1 (with the bootstrap
interval) is compared with the same model's F1 on ``test.txt``. ``segments`` is the old rule (a
random sample of sentences), ``blocks`` and ``documents`` the group split; the target is a gap
under 0.15. Reads ``../shared/data/conll2003`` relative to the repository root and exits with a
message when it is absent (the data is never copied into the repository).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "conll2003"
sys.path.insert(0, str(REPO))


def first_sentences(path: Path, n: int) -> str:
    """The first ``n`` blank-line separated sentences of a CoNLL file, as text."""
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    return "\n\n".join(b for b in blocks[:n] if b.strip()) + "\n"


def test_examples(data: Path, limit: int | None) -> list[Any]:
    from engine.formats import read_file
    from engine.training.evaluate import document_examples

    examples: list[Any] = []
    for doc in read_file(data / "test.txt"):
        examples.extend(document_examples(doc, len(examples)))
    return examples[:limit] if limit else examples


def run_rule(rule: str, conll: Path, work: Path, test: list[Any], seed: int) -> dict[str, Any]:
    from engine.api import Project, describe_score
    from engine.models.base import load_token_classifier, load_tokenizer
    from engine.training import TrainConfig
    from engine.training.evaluate import score_model

    work.mkdir(parents=True, exist_ok=True)
    with Project.create(
        work / rule, ["PER", "ORG", "LOC", "MISC"], settings={"split": rule, "seed": seed}
    ) as project:
        project.import_files([conll], "conll")
        started = time.monotonic()
        result = project.train(TrainConfig(seed=seed))
        seconds = time.monotonic() - started
        held = result.metrics
        folder = Path(result.path)
        model, tokenizer = load_token_classifier(folder), load_tokenizer(folder)
        tags = [model.config.id2label[i] for i in range(len(model.config.id2label))]
        on_test = score_model(model, tokenizer, test, tags, source="test")
    return {
        "rule": held.get("split", rule),
        "heldout_f1": held["f1"],
        "heldout_ci": held.get("f1_ci"),
        "heldout": describe_score(held),
        "train_sentences": result.counts.get("train_sentences"),
        "test_f1": on_test["f1"],
        "test_ci": on_test.get("f1_ci"),
        "test_sentences": on_test["sentences"],
        "gap": None if held["f1"] is None else round(held["f1"] - on_test["f1"], 4),
        "train_seconds": round(seconds, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=300)
    ap.add_argument(
        "--rules",
        nargs="+",
        default=["segments", "blocks"],
        choices=("segments", "blocks", "documents", "auto"),
    )
    ap.add_argument("--test-limit", type=int, default=None, help="default: all of test.txt")
    ap.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0],
        help="project seeds (the split and the training run)",
    )
    ap.add_argument("--data", type=Path, default=DATA, help="the CoNLL-2003 folder")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()
    if not (args.data / "train.txt").is_file():
        print(f"CoNLL-2003 not found at {args.data}; skipping (see --data)", file=sys.stderr)
        return 0
    test = test_examples(args.data, args.test_limit)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        conll = Path(tmp) / "first.conll"
        conll.write_text(first_sentences(args.data / "train.txt", args.sentences), encoding="utf-8")
        for rule, seed in [(r, s) for r in args.rules for s in args.seeds]:
            row = run_rule(rule, conll, Path(tmp) / f"seed{seed}", test, seed)
            row["seed"] = seed
            rows.append(row)
            print(
                f"{rule:>9} seed {seed}: held-out F1 {row['heldout']}; CoNLL test F1 "
                f"{row['test_f1']:.3f} on {row['test_sentences']} sentences; gap "
                f"{row['gap']:+.3f} ({row['train_seconds']} s training)",
                flush=True,
            )
    for rule in args.rules:
        gaps = [r["gap"] for r in rows if r["rule"] == rule and r["gap"] is not None]
        if gaps:
            mean = sum(gaps) / len(gaps)
            print(
                f"{rule:>9}: mean gap held-out - test {mean:+.3f} over {len(gaps)} seed(s)"
                f"{'' if rule == 'segments' else ' (target within 0.15)'}"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
