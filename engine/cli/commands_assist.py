"""Commands that make labelling faster: label-all, patterns, review."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.api import Project, read_patterns
from engine.cli.args import Subparsers, add_command
from engine.cli.output import ProgressBar, print_json, print_table


def register(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "label-all",
        cmd_label_all,
        json=True,
        help="label every whole-word occurrence of a text",
    )
    p.add_argument("text")
    p.add_argument("label")
    p.add_argument("--ignore-case", action="store_true", help="match regardless of case")
    p.add_argument(
        "--mark-labelled",
        action="store_true",
        help="mark the changed segments labelled (default: statuses stay)",
    )

    p = add_command(
        sub,
        "patterns",
        cmd_patterns,
        json=True,
        help="load, list or remove patterns and dictionaries (their matches become suggestions)",
    )
    p.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="spaCy/Prodigy pattern JSONL, or a term list with --label",
    )
    p.add_argument("--label", default=None, help="FILE is a term list (one a line) of LABEL")
    p.add_argument("--remove", type=int, nargs="+", metavar="ID", help="remove patterns by id")
    p.add_argument(
        "--apply", action="store_true", help="re-apply the stored patterns (e.g. after an import)"
    )

    p = add_command(
        sub,
        "review",
        cmd_review,
        json=True,
        help="rank labelled segments by how likely they hold a mistake (trains one model per fold)",
    )
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=None, help="epochs per fold model")
    p.add_argument("--base-model", default=None)
    p.add_argument("-n", "--limit", type=int, default=20, help="rows in the table (not --json)")


def cmd_label_all(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with Project.open(args.project) as project:
        result = project.label_all(
            args.text, args.label, ignore_case=args.ignore_case, mark_labelled=args.mark_labelled
        )
    counts = {**result.counts(), "seconds": round(time.monotonic() - started, 3)}
    if args.json:
        print_json(counts)
    else:
        print(
            f"labelled {result.labelled} occurrences of {args.text!r} as {args.label} in "
            f"{result.segments} segments; {result.skipped_overlap} skipped (overlap an "
            f"existing span), {result.already_labelled} already labelled"
        )
    return 0


def cmd_patterns(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        added = 0
        if args.file is not None:
            added, suggestions = project.add_patterns(read_patterns(args.file, args.label))
        elif args.remove:
            suggestions = project.remove_patterns(args.remove)
        elif args.apply:
            suggestions = project.apply_patterns()
        else:
            suggestions = project.suggestions_by_source()["pattern"]
        rows = [{"id": p.id, "label": p.label, "pattern": p.pattern} for p in project.patterns()]
    if args.json:
        print_json({"patterns": rows, "added": added, "suggestions": suggestions})
        return 0
    if args.file is not None:
        print(f"{added} new patterns from {args.file}; {suggestions} pattern suggestions")
    elif args.remove:
        print(f"removed {len(args.remove)} patterns; {suggestions} pattern suggestions left")
    else:
        print_table(
            ["id", "label", "pattern"], [(r["id"], r["label"], _show(r["pattern"])) for r in rows]
        )
        print(f"{suggestions} pattern suggestions")
    return 0


def _show(pattern: object) -> str:
    import json

    return pattern if isinstance(pattern, str) else json.dumps(pattern, ensure_ascii=False)


def cmd_review(args: argparse.Namespace) -> int:
    from engine.training import TrainConfig

    config = TrainConfig(epochs=args.epochs, base_model=args.base_model)
    bar = ProgressBar("review")
    with Project.open(args.project) as project:
        try:
            result = project.review(args.folds, config, on_event=bar)
        finally:
            bar.close()
    if args.json:
        print_json(result.to_dict())
        return 0
    flagged = result.flagged
    print(
        f"reviewed {result.segments} labelled segments with {result.folds} fold models in "
        f"{result.seconds:.0f} s; {len(flagged)} have disagreements (most likely wrong first)"
    )
    print_table(
        ["segment", "score", "issues", "text"],
        [
            (
                i.segment_id,
                i.score,
                ", ".join(f"{x.kind} {i.text[x.start : x.end]!r}" for x in i.issues[:3]),
                i.text[:60],
            )
            for i in flagged[: args.limit]
        ],
    )
    return 0
