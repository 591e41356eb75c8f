"""All-or-nothing placement of a folder built next to its destination."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from engine.errors import ValidationError


def non_empty(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def check_target(target: Path, overwrite: bool) -> None:
    """Refuse a file, or a non-empty folder unless ``overwrite``."""
    if target.exists() and not target.is_dir():
        raise ValidationError(f"{target} exists and is not a folder", field="out_dir")
    if non_empty(target) and not overwrite:
        raise ValidationError(
            f"{target} already holds files; choose another folder or overwrite it",
            field="out_dir",
        )


def staging_dir(target: Path) -> Path:
    """A new hidden folder beside ``target`` (same file system, so renames are atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; an export is meant to be shared
    return tmp


def move_into_place(tmp: Path, target: Path, overwrite: bool) -> None:
    """Rename ``tmp`` to ``target``; an existing folder is renamed away first, then deleted.

    Readers see either the old folder or the new one, never a half-written one.
    """
    check_target(target, overwrite)
    if not target.exists():
        os.replace(tmp, target)
        return
    if not non_empty(target):
        target.rmdir()
        os.replace(tmp, target)
        return
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (no second copy of the weights on disk), else copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
