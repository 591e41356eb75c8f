"""Arguments every project command shares, defined once: the project folder and ``--json``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # argparse's action class is generic only to type checkers
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction
Command = Callable[[argparse.Namespace], int]


def add_command(
    sub: Subparsers,
    name: str,
    func: Command,
    *,
    help: str,
    project: bool = True,
    json: bool | str = False,
) -> argparse.ArgumentParser:
    """A sub-command parser running ``func``: with a leading ``project`` argument unless
    ``project`` is False, and a ``--json`` flag when ``json`` is set (a string is its help)."""
    p = sub.add_parser(name, help=help)
    if project:
        p.add_argument("project")
    if json:
        p.add_argument(
            "--json",
            action="store_true",
            help=json if isinstance(json, str) else "print the result as JSON",
        )
    p.set_defaults(func=func)
    return p
