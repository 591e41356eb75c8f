"""Model commands: train, evaluate, versions, export-model, predict."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.api import Project
from engine.cli.args import Subparsers, add_command
from engine.cli.output import ProgressBar, print_json, print_table
from engine.errors import ValidationError
from engine.types import Entity


def register(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "train",
        cmd_train,
        help="fine-tune a model on the project's labelled segments",
        json="print the final report as JSON",
    )
    p.add_argument("--epochs", type=int, default=None, help="default: chosen from a step budget")
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--base-model", default=None, help="'bundled', a local folder or a hub id")
    p.add_argument(
        "--warm-start",
        action="store_true",
        help="start from the active version instead of the base encoder",
    )
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--device",
        default=None,
        help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps "
        "(default: the project's device setting)",
    )

    p = add_command(
        sub,
        "evaluate",
        cmd_evaluate,
        help="entity-level precision/recall/F1 of a model version",
        json=True,
    )
    p.add_argument("--version", default=None, help="vNNNN (default: the active version)")
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="a gold file (CoNLL/JSONL) instead of the project's evaluation split",
    )

    p = add_command(
        sub,
        "versions",
        cmd_versions,
        json=True,
        help="list, activate, delete or import model versions",
    )
    p.add_argument(
        "action", nargs="?", choices=("list", "activate", "delete", "import"), default="list"
    )
    p.add_argument("name", nargs="?", help="vNNNN, or the version folder to import")

    p = add_command(
        sub, "export-model", cmd_export_model, help="export a model version as an ONNX folder"
    )
    p.add_argument("out", type=Path)
    p.add_argument("--version", default=None)
    p.add_argument("--no-quantize", action="store_true", help="skip the int8 model")
    p.add_argument("--overwrite", action="store_true")

    p = add_command(
        sub,
        "predict",
        cmd_predict,
        help="run an exported model on text lines or JSONL",
        project=False,
    )
    p.add_argument("model_dir", type=Path)
    p.add_argument("files", nargs="*", default=["-"], help="text or JSONL files, or - for stdin")
    p.add_argument("--format", choices=("jsonl", "conll"), default="jsonl")
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="windows per model run (default 32; 8 for the dynamic int8 of old exports)",
    )
    p.add_argument("--fp32", action="store_true", help="use the fp32 model, not int8")
    p.add_argument(
        "--words",
        choices=("spantune", "whitespace"),
        default=None,
        help="word rule: 'spantune' splits punctuation (U.S. stays whole), "
        "'whitespace' takes space-separated tokens as words, as CoNLL and other "
        "clients do (default: whitespace for --input conll, else spantune)",
    )
    p.add_argument(
        "--input",
        choices=("text", "conll"),
        default="text",
        help="'conll': pre-tokenised input, one token per line (first column), "
        "blank lines between sentences",
    )


def cmd_train(args: argparse.Namespace) -> int:
    from engine.training.config import TrainConfig

    overrides: dict[str, Any] = {"warm_start": args.warm_start}
    for key in ("epochs", "max_minutes", "base_model", "seed", "device"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    config = TrainConfig(**overrides)
    bar = ProgressBar("train")
    with Project.open(args.project) as project:
        try:
            result = project.train(config, on_event=bar)
        finally:
            bar.close()
    report = result.to_dict()
    if args.json:
        print_json(report)
        return 0
    print(
        f"trained {report['version']} in {report['seconds']:.1f} s "
        f"on {report['counts'].get('train_sentences', '?')} sentences"
        f" ({report['config'].get('device_name', 'cpu')})"
    )
    _print_metrics(report.get("metrics") or {})
    return 0


def _print_metrics(metrics: dict[str, Any]) -> None:
    from engine.training.bootstrap import describe

    if metrics.get("f1") is None:
        print(
            metrics.get(
                "message",
                "no evaluation segments yet: label some eval-split segments to get honest scores",
            )
        )
        return

    def ci(value: Any) -> str:
        return f"{value[0]:.2f}\u2013{value[1]:.2f}" if value else ""

    rows = [
        (name, m["precision"], m["recall"], m["f1"], ci(m.get("f1_ci")), m.get("support"))
        for name, m in sorted(metrics.get("per_label", {}).items())
    ]
    rows.append(
        (
            "micro avg",
            metrics["precision"],
            metrics["recall"],
            metrics["f1"],
            ci(metrics.get("f1_ci")),
            sum(m.get("support") or 0 for m in metrics.get("per_label", {}).values()),
        )
    )
    print_table(["label", "precision", "recall", "f1", "f1 95% CI", "support"], rows)
    split = f", {metrics['split']} split" if metrics.get("split") else ""
    print(f"held-out F1 {describe(metrics)}{split}")


def cmd_evaluate(args: argparse.Namespace) -> int:
    with Project.open(args.project, read_only=True) as project:
        metrics = project.evaluate(args.version, args.data)
    if args.json:
        print_json(metrics)
    else:
        _print_metrics(metrics)
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    with Project.open(args.project, read_only=(args.action == "list")) as project:
        if args.action != "list":
            if not args.name:
                raise ValidationError(
                    "name the version, e.g. v0002 (or the folder to import)", field="name"
                )
            if args.action == "import":
                imported = project.import_version(args.name)
                if not args.json:
                    print(f"imported {args.name} as {imported.name} (active)")
            elif args.action == "activate":
                project.versions.activate(args.name)
            else:
                project.versions.delete(args.name)
        versions = project.versions.get_all()
    if args.json:
        print_json(
            [
                {
                    "name": v.name,
                    "active": v.active,
                    "created_at": v.created_at,
                    "base_model": v.base_model,
                    "f1": v.metrics.get("f1"),
                    "labelled_sentences": v.counts.get("train_sentences"),
                }
                for v in versions
            ]
        )
        return 0
    print_table(
        ["version", "active", "f1", "sentences", "created"],
        [
            (
                v.name,
                "*" if v.active else "",
                v.metrics.get("f1"),
                v.counts.get("train_sentences"),
                v.created_at[:19],
            )
            for v in versions
        ],
    )
    return 0


def cmd_export_model(args: argparse.Namespace) -> int:
    with Project.open(args.project, read_only=True) as project:
        bar = ProgressBar("export")
        try:
            result = project.export_model(
                args.out,
                version=args.version,
                quantize=not args.no_quantize,
                overwrite=args.overwrite,
                on_event=bar,
            )
        finally:
            bar.close()
    print(f"exported to {result.path} in {result.seconds:.1f} s")
    print(f"fp32 validation: max |logit difference| vs torch {result.max_abs_logit_diff:.2e}")
    if result.quantized:
        print(
            f"int8: token agreement {result.token_argmax_agreement:.1%}, "
            f"entity agreement {result.entity_agreement:.1%} with fp32"
        )
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from engine.api import load_predictor
    from engine.progress import ProgressEvent

    if args.batch_size is not None and args.batch_size < 1:
        raise ValidationError("must be at least 1", field="--batch-size")
    words = args.words or ("whitespace" if args.input == "conll" else "spantune")
    predictor = load_predictor(args.model_dir, quantized=not args.fp32)
    step = 512  # texts per progress step; batches are length-sorted within it
    for name in args.files:
        texts = _read_conll_texts(name) if args.input == "conll" else _read_texts(name)
        bar = ProgressBar(f"predict {name}")
        out = []
        for start in range(0, len(texts), step):
            chunk = texts[start : start + step]
            out.extend(
                predictor.predict(
                    chunk, batch_size=args.batch_size, pretokenized=words == "whitespace"
                )
            )
            bar(ProgressEvent("predict", min(start + len(chunk), len(texts)), len(texts)))
        bar.close()
        for text, ents in zip(texts, out, strict=True):
            _write_prediction(text, ents, args.format, words)
    return 0


def _read_conll_texts(name: str) -> list[str]:
    """Sentences of a CoNLL file (first column; ``-DOCSTART-`` skipped) as space-joined text."""
    from engine.errors import FormatError

    fh = sys.stdin if name == "-" else open(name, encoding="utf-8")  # noqa: SIM115
    texts: list[str] = []
    tokens: list[str] = []
    try:
        for line in [*fh, ""]:
            parts = line.split()
            if not parts:
                if tokens:
                    texts.append(" ".join(tokens))
                tokens = []
            elif parts[0] != "-DOCSTART-":
                tokens.append(parts[0])
    except UnicodeDecodeError as exc:
        raise FormatError("not UTF-8 text", path=name) from exc
    finally:
        if fh is not sys.stdin:
            fh.close()
    return texts


def _read_texts(name: str) -> list[str]:
    from engine.errors import FormatError

    fh = sys.stdin if name == "-" else open(name, encoding="utf-8")  # noqa: SIM115
    texts = []
    try:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if line.lstrip().startswith("{"):
                try:
                    record = json.loads(line)
                    texts.append(str(record["text"]))
                except (ValueError, KeyError, TypeError) as exc:
                    raise FormatError(
                        f"not a JSON object with a 'text' field ({exc})", path=name, line=lineno
                    ) from exc
            else:
                texts.append(line)
    except UnicodeDecodeError as exc:
        raise FormatError("not UTF-8 text", path=name) from exc
    finally:
        if fh is not sys.stdin:
            fh.close()
    return texts


def _write_prediction(text: str, entities: list[Entity], fmt: str, words: str = "spantune") -> None:
    if fmt == "jsonl":
        spans = [
            {
                "start": e.start,
                "end": e.end,
                "label": e.label,
                "score": round(e.score, 4),
                "text": text[e.start : e.end],
            }
            for e in entities
        ]
        print(json.dumps({"text": text, "spans": spans}, ensure_ascii=False))
        return
    from engine.text.tokens import split_tokens_at, whitespace_tokens, word_tokens

    if words == "whitespace":  # entities cover whole space-separated tokens: one line each
        tokens = whitespace_tokens(text)
    else:
        cuts = {e.start for e in entities} | {e.end for e in entities}
        tokens = split_tokens_at(word_tokens(text), cuts)
    for tok in tokens:
        tag = "O"
        for e in entities:
            if e.start <= tok.start and tok.end <= e.end:
                tag = ("B-" if tok.start == e.start else "I-") + e.label
                break
        print(f"{text[tok.start : tok.end]} {tag}")
    print()
