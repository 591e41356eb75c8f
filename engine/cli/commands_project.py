"""Project commands: init, import, export, stats, labels, settings, backup, restore."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.api import Project
from engine.cli.args import Subparsers, add_command
from engine.cli.output import ProgressBar, print_json, print_table
from engine.errors import ValidationError


def _reader_list() -> str:
    from engine.formats import reader_names

    return ", ".join(reader_names())


def register(sub: Subparsers) -> None:
    p = add_command(sub, "init", cmd_init, help="create a project folder NAME.spantune")
    p.add_argument("--labels", default="", help="comma-separated label names, e.g. PER,ORG,LOC")
    p.add_argument("--base-model", default=None, help="'bundled', a local HF folder or a hub id")
    p.add_argument(
        "--eval-share",
        type=float,
        default=None,
        help="share of segments held out for honest evaluation (default 0.15)",
    )
    p.add_argument(
        "--split",
        choices=("auto", "documents", "blocks", "segments"),
        default=None,
        help="what is held out: whole documents, blocks of segments, or (auto) "
        "documents when there are enough of them",
    )

    p = add_command(
        sub,
        "import",
        cmd_import,
        help="import documents (and annotations) into a project",
        json=True,
    )
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument(
        "--format", default=None, help="reader name (auto-detected when omitted): " + _reader_list()
    )
    p.add_argument("--segment", choices=("sentences", "lines", "document"), default="sentences")
    p.add_argument(
        "--as-suggestions",
        action="store_true",
        help="import annotations as suggestions to review, not as labels",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="replace the stored annotations of texts already in the project "
        "(a backup is taken first)",
    )
    p.add_argument(
        "--tag-names",
        default=None,
        help="names of integer tags, comma-separated in id order, e.g. "
        "O,B-PER,I-PER (Hugging Face ner_tags without a labels file)",
    )

    p = add_command(sub, "export", cmd_export, help="export documents and labels to a file")
    p.add_argument("out", type=Path, help="output file (a folder for brat); - for stdout")
    p.add_argument(
        "--format",
        default=None,
        help="jsonl, conll, doccano, hf, labelstudio, brat (folder), webanno (folder) "
        "(default: from the file extension)",
    )
    p.add_argument("--only-labelled", action="store_true")

    add_command(
        sub, "stats", cmd_stats, help="documents, segments by status, spans per label", json=True
    )

    _register_labels(sub)

    p = add_command(
        sub,
        "settings",
        cmd_settings,
        json=True,
        help="show or change project settings (strategy, eval_share…)",
    )
    p.add_argument("key", nargs="?", help="one setting to show or change")
    p.add_argument("value", nargs="?", help="new value (JSON for numbers, else text)")

    p = add_command(sub, "backup", cmd_backup, help="back up the project database now")
    p.add_argument("--list", action="store_true", help="list existing backups")

    p = add_command(sub, "restore", cmd_restore, help="restore the project database from a backup")
    p.add_argument("backup", nargs="?", type=Path, help="backup file (default: the latest)")

    p = add_command(
        sub,
        "resplit",
        cmd_resplit,
        json=True,
        help="re-apply the eval split rule (the 'split' setting)",
    )
    p.add_argument(
        "--rule",
        choices=("auto", "documents", "blocks", "segments"),
        default=None,
        help="store this rule in the 'split' setting and apply it",
    )


def _register_labels(sub: Subparsers) -> None:
    p = add_command(sub, "labels", cmd_labels, help="list or change the label set", json=True)
    lsub = p.add_subparsers(dest="action", metavar="ACTION")
    lsub.add_parser("list", help="list labels (default)")
    a = lsub.add_parser("add", help="add a label")
    a.add_argument("name")
    a.add_argument("--color", default=None)
    a.add_argument("--hotkey", default=None)
    a = lsub.add_parser("rename", help="rename a label (its spans follow)")
    a.add_argument("old")
    a.add_argument("new")
    a = lsub.add_parser("remove", help="delete a label and its spans")
    a.add_argument("name")
    a.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    a = lsub.add_parser("color", help="set a label's colour (#RRGGBB)")
    a.add_argument("name")
    a.add_argument("color")
    a = lsub.add_parser("hotkey", help="set a label's hotkey (1-9, or 'none')")
    a.add_argument("name")
    a.add_argument("hotkey")
    a = lsub.add_parser("order", help="reorder labels: all names, comma-separated")
    a.add_argument("names")


def cmd_init(args: argparse.Namespace) -> int:
    labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    settings = {}
    if args.base_model:
        settings["base_model"] = args.base_model
    if args.eval_share is not None:
        if not 0.0 <= args.eval_share <= 0.5:
            raise ValidationError("must be between 0 and 0.5", field="--eval-share")
        settings["eval_share"] = args.eval_share
    if args.split:
        settings["split"] = args.split
    with Project.create(args.project, labels, settings=settings) as project:
        print(f"created {project.path} with labels: {', '.join(labels) or '(none yet)'}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    options = {}
    if args.tag_names is not None:
        options["tag_names"] = [x.strip() for x in args.tag_names.split(",")]
    bar = ProgressBar("import")
    with Project.open(args.project) as project:
        try:
            report = project.import_files(
                args.files,
                args.format,
                segment=args.segment,
                as_suggestions=args.as_suggestions,
                update=args.update,
                options=options,
                on_event=bar,
            )
        finally:
            bar.close()
    if args.json:
        print_json(report.__dict__)
        return 0
    kind = "suggestions" if report.as_suggestions else "spans"
    print(
        f"imported {report.documents} documents, {report.segments} segments, "
        f"{report.spans} {kind} from {report.files} file(s)"
    )
    if report.suggestions and not report.as_suggestions:
        print(f"kept {report.suggestions} accepted span(s) as suggestions to review")
    if report.rejections:
        print(f"remembered {report.rejections} rejected span(s) (never suggested again)")
    if report.merged:
        print(f"merged {report.merged} record(s) that repeat a text of the same import")
    if report.updated:
        print(
            f"updated the annotations of {report.updated} document(s) already in the "
            f"project (backup: {report.backup})"
        )
    if report.duplicates:
        print(
            f"skipped {report.duplicates} duplicate document(s) already in the project "
            "(their annotations in the file were not imported); pass --update to replace "
            "the stored annotations with the file's"
        )
    if report.new_labels:
        print(f"added labels: {', '.join(report.new_labels)}")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


_EXT_FORMATS = {
    ".jsonl": "jsonl",
    ".conll": "conll",
    ".bio": "conll",
    ".iob": "conll",
    ".txt": "conll",
    ".json": "labelstudio",
    ".tsv": "webanno",
}


def cmd_export(args: argparse.Namespace) -> int:
    to_stdout = str(args.out) == "-"
    fmt = args.format or ("jsonl" if to_stdout else _EXT_FORMATS.get(args.out.suffix.lower()))
    if fmt is None and args.out.is_dir():
        fmt = "brat"
    if fmt is None:
        raise ValidationError(
            "cannot tell the format from the extension; pass --format", field="--format"
        )
    with Project.open(args.project, read_only=True) as project:
        n = project.export(args.out, fmt, only_labelled=args.only_labelled)
    print(
        f"wrote {n} records to {'standard output' if to_stdout else args.out} ({fmt})",
        file=sys.stderr if to_stdout else sys.stdout,
    )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with Project.open(args.project, read_only=True) as project:
        stats = project.stats()
    if args.json:
        print_json(stats)
        return 0
    print(f"documents: {stats['documents']}")
    by = stats["segments_by_status"]
    print(
        f"segments:  {stats['segments']} (todo {by['todo']}, labelled {by['labelled']}, "
        f"skipped {by['skipped']}; eval split {stats['segments_by_split']['eval']})"
    )
    print(f"spans:     {stats['spans']}  suggestions: {stats['suggestions']}")
    print(f"model:     {stats['active_version'] or 'none yet'} ({stats['versions']} versions)")
    if stats["spans_by_label"]:
        print_table(["label", "spans"], sorted(stats["spans_by_label"].items()))
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    action = args.action or "list"
    with Project.open(args.project, read_only=(action == "list")) as project:
        store = project.labels
        if action == "add":
            store.add(args.name, args.color, args.hotkey)
        elif action == "rename":
            store.rename(args.old, args.new)
        elif action == "remove":
            n = store.usage(args.name)
            if n and not args.yes:
                raise ValidationError(
                    f"label {args.name!r} has {n} spans; pass --yes to delete them with it",
                    field="remove",
                )
            store.remove(args.name)
            print(f"removed {args.name} and {n} spans")
        elif action == "color":
            store.set_color(args.name, args.color)
        elif action == "hotkey":
            store.set_hotkey(args.name, None if args.hotkey.lower() == "none" else args.hotkey)
        elif action == "order":
            store.reorder([x.strip() for x in args.names.split(",") if x.strip()])
        labels = store.get_all()
        usage = project.stats()["spans_by_label"]
    if args.json:
        print_json(
            [
                {
                    "name": lab.name,
                    "color": lab.color,
                    "hotkey": lab.hotkey,
                    "spans": usage.get(lab.name, 0),
                }
                for lab in labels
            ]
        )
    else:
        print_table(
            ["label", "colour", "hotkey", "spans"],
            [(lab.name, lab.color, lab.hotkey or "", usage.get(lab.name, 0)) for lab in labels],
        )
    return 0


def _setting_value(text: str) -> object:
    """A number where the text is one, else the text itself (``mnlp``, ``/models/x``)."""
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else text


def cmd_settings(args: argparse.Namespace) -> int:
    from engine.api import DEFAULT_SETTINGS

    with Project.open(args.project, read_only=args.value is None) as project:
        if args.value is not None:
            project.set_setting(args.key, _setting_value(args.value))
        keys = [args.key] if args.key else list(DEFAULT_SETTINGS)
        values = {k: project.setting(k) for k in keys}
    if args.json:
        print_json(values)
    elif args.key:
        print(values[args.key])
    else:
        print_table(["setting", "value"], [(k, str(v)) for k, v in values.items()])
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    # read-only: an online backup works while another Spantune (the app) holds the project
    with Project.open(args.project, read_only=True) as project:
        if args.list:
            for p in project.list_backups():
                print(p)
            return 0
        path = project.backup("manual")
    print(f"backup written to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from engine.api import resolve_project_path
    from engine.store.backups import list_backups

    backup = args.backup
    if backup is None:
        found = list_backups(resolve_project_path(args.project))
        if not found:
            raise ValidationError("the project has no backups", field="backup")
        backup = found[0]
    before = Project.restore(args.project, backup)
    print(f"restored {args.project} from {backup}")
    if before is not None:
        print(f"the database it replaced was backed up to {before}")
    return 0


def cmd_resplit(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        if args.rule:
            project.set_setting("split", args.rule)
        report = project.resplit()
    if args.json:
        print_json(report)
        return 0
    print(
        f"split rule: {report['rule']}; eval: {report['eval_segments']} of "
        f"{report['segments']} segments from {report['eval_documents']} of "
        f"{report['documents']} documents"
    )
    print(f"moved {report['moved']} segments ({report['moved_labelled']} labelled)")
    if report["moved_labelled"]:
        print(
            "models trained before this may have seen segments now held out: retrain "
            "for honest scores"
        )
    return 0
