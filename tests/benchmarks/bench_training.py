"""Training benchmark on CoNLL-2003 subsets: our loop against transformers' Trainer.

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_training.py                   # 200 and 1000 sentences
    python tests/benchmarks/bench_training.py --sizes 200 --test-limit 1000 --set lr=3e-4
    python tests/benchmarks/bench_training.py --no-trainer

Random subsets of ``train.txt`` (seeded), the bundled encoder, entity-level F1 on ``test.txt``
(all 3453 sentences unless ``--test-limit``), training wall time and sentences/s. The same data,
initial weights and hyper-parameters then go through ``transformers.Trainer`` with its best CPU
setting (``train_sampling_strategy="group_by_length"``, fused AdamW), and the throughput ratio
is printed. Reads ``../shared/data/conll2003`` relative to the repository root; skips with a
message when it is absent (the data is never copied into the repository).
"""

from __future__ import annotations

import argparse
import ast
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "conll2003"
sys.path.insert(0, str(REPO))

log = logging.getLogger("bench_training")


def load_split(name: str) -> list[Any]:
    from engine.formats import read_file
    from engine.training.evaluate import document_examples

    examples: list[Any] = []
    for doc in read_file(DATA / name):
        examples.extend(document_examples(doc, len(examples)))
    return examples


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        try:
            out[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            out[key] = raw
    return out


def ours(train: list[Any], test: list[Any], labels: list[str], config: Any) -> dict[str, Any]:
    from engine.training import train_examples
    from engine.training.evaluate import score_model

    started, cpu = time.monotonic(), time.process_time()
    outcome = train_examples(train, [], labels, config)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    steps_seconds = outcome.metrics["training"]["seconds"]
    epochs = outcome.config["epochs"]
    t0 = time.monotonic()
    metrics = score_model(outcome.model, outcome.tokenizer, test, outcome.tags, source="test")
    return {
        "f1": metrics["f1"],
        "seconds": seconds,
        "loop_seconds": steps_seconds,
        "cpu": cpu,
        "epochs": epochs,
        "steps": outcome.metrics["training"]["steps"],
        "threads": outcome.config["threads"],
        "bf16": outcome.config["bf16"],
        "sent_per_s": epochs * len(train) / seconds,
        "eval_seconds": time.monotonic() - t0,
    }


def hf_trainer(
    train: list[Any], test: list[Any], labels: list[str], config: Any, epochs: int, threads: int
) -> dict[str, Any] | None:
    """The same run through transformers.Trainer (group_by_length, fused AdamW)."""
    try:
        import accelerate  # noqa: F401  (Trainer needs it)
    except ImportError:
        log.warning("transformers.Trainer needs the accelerate package; skipping the comparison")
        return None
    import torch
    from transformers import DataCollatorForTokenClassification, Trainer, TrainingArguments

    from engine.inference.windows import special_tokens
    from engine.models import fit_head, load_token_classifier, load_tokenizer
    from engine.models.base import resolve_base_model
    from engine.text.bio import tag_names
    from engine.training.evaluate import score_model
    from engine.training.examples import encode_examples, window_rows
    from engine.training.trainer import torch_threads

    torch.manual_seed(config.seed or 0)
    folder = resolve_base_model("bundled").folder
    tokenizer, model = load_tokenizer(folder), load_token_classifier(folder)
    tags = tag_names(labels)
    fit_head(model, tags)
    encoded = encode_examples(
        train, tokenizer, {t: i for i, t in enumerate(tags)}, config.max_length, config.stride
    )
    special = special_tokens(tokenizer.backend_tokenizer, tokenizer.pad_token)
    rows = [
        {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labs}
        for ids, labs in window_rows(encoded, special)
    ]
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=config.batch_size,
            num_train_epochs=epochs,
            learning_rate=config.lr,
            warmup_steps=config.warmup_ratio,
            weight_decay=config.weight_decay,
            max_grad_norm=config.clip,
            train_sampling_strategy="group_by_length",
            optim="adamw_torch_fused",
            save_strategy="no",
            eval_strategy="no",
            logging_strategy="no",
            report_to=[],
            use_cpu=True,
            seed=config.seed or 0,
            disable_tqdm=True,
            dataloader_num_workers=0,
        )
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=rows,
            data_collator=DataCollatorForTokenClassification(tokenizer),
        )
        with torch_threads(threads):
            started = time.monotonic()
            trainer.train()
            seconds = time.monotonic() - started
    metrics = score_model(model, tokenizer, test, tags, source="test")
    return {"f1": metrics["f1"], "seconds": seconds, "sent_per_s": epochs * len(train) / seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--test-limit", type=int, default=0, help="0: the full test set")
    parser.add_argument("--seed", type=int, default=0, help="subset and training seed")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="TrainConfig override, e.g. lr=3e-4 or bf16=True",
    )
    parser.add_argument("--no-trainer", action="store_true")
    parser.add_argument(
        "--trainer-sizes", default=None, help="sizes to also run through Trainer (default: all)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not (DATA / "train.txt").is_file():
        print(f"skipped: CoNLL-2003 not found at {DATA}")
        return 0
    from engine.training import TrainConfig

    config = TrainConfig(seed=args.seed, **parse_overrides(args.set))
    pool = load_split("train.txt")
    test = load_split("test.txt")
    if args.test_limit:
        test = random.Random(1).sample(test, args.test_limit)
    labels = ["PER", "ORG", "LOC", "MISC"]
    trainer_sizes = {int(s) for s in (args.trainer_sizes or args.sizes).split(",")}
    print(f"config: {config.to_dict()}; test sentences: {len(test)}")
    for size in (int(s) for s in args.sizes.split(",")):
        train = random.Random(args.seed).sample(pool, size)
        mine = ours(train, test, labels, config)
        print(
            f"ours    n={size}: F1 {mine['f1']:.4f}, train {mine['seconds']:.1f} s "
            f"(CPU {mine['cpu']:.1f} s) "
            f"(loop {mine['loop_seconds']:.1f} s, {mine['epochs']} epochs, {mine['steps']} "
            f"steps, {mine['threads']} threads, bf16 {mine['bf16']}), {mine['sent_per_s']:.1f} "
            f"sent/s; test scored in "
            f"{mine['eval_seconds']:.1f} s",
            flush=True,
        )
        if args.no_trainer or size not in trainer_sizes:
            continue
        theirs = hf_trainer(train, test, labels, config, mine["epochs"], mine["threads"])
        if theirs is not None:
            print(
                f"Trainer n={size}: F1 {theirs['f1']:.4f}, train {theirs['seconds']:.1f} s, "
                f"{theirs['sent_per_s']:.1f} sent/s; throughput ours/Trainer "
                f"{mine['sent_per_s'] / theirs['sent_per_s']:.2f}x",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
