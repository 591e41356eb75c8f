"""The ``spantune`` console entry point.

No arguments (or ``app``/``--demo``) launches the desktop app; anything else is the CLI, which
lives in :mod:`engine.cli` and never imports Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

APP_USAGE = """usage: spantune app [PROJECT] [--demo]

Launch the desktop app, optionally on PROJECT or on the bundled demo project."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("app", "--demo"):
        rest = args[1:] if args and args[0] == "app" else args
        if any(a in ("-h", "--help") for a in rest):
            print(APP_USAGE)
            return 0
        from desktop.app import run_app

        demo = "--demo" in rest
        projects = [a for a in rest if not a.startswith("-")]
        return int(run_app(demo=demo, project=projects[0] if projects else None) or 0)
    from engine.cli.main import main as cli_main

    return cli_main(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
