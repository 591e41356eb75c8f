"""Entry point of the ``spantune`` CLI: parse, dispatch, map errors to exit codes.

Exit status: 0 success, 1 a user error (one line on stderr), 2 a usage error.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence

from engine import __version__
from engine.cli import (
    commands_assist,
    commands_cluster,
    commands_doctor,
    commands_model,
    commands_project,
    commands_queue,
)
from engine.errors import Cancelled, EngineError
from engine.logs import configure_logging

COMMAND_MODULES = (
    commands_project,
    commands_model,
    commands_queue,
    commands_assist,
    commands_cluster,
    commands_doctor,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spantune",
        description="Label entities, retrain a transformer in one click, export ONNX. "
        "Run `spantune` with no arguments (or `spantune app [PROJECT] [--demo]`) for the "
        "desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"spantune {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    configure_logging(verbose=args.verbose)
    try:
        return int(args.func(args) or 0)
    except Cancelled:
        print("spantune: cancelled; nothing was changed", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\nspantune: interrupted; nothing was changed", file=sys.stderr)
        return 130
    except EngineError as exc:
        print(f"spantune: error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # a read outside the store's translation (a full disk)
        from engine.store.database import translate_error

        print(f"spantune: error: {translate_error(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"spantune: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
