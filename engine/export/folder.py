"""All-or-nothing placement of a folder built next to its destination.

A folder is built in a hidden staging folder beside its target and renamed into place; an
existing target is renamed aside first (``.NAME.old-…``) and deleted after. While one process
builds a target it holds ``.NAME.lock`` (an OS lock, released when the process dies), so the
next builder knows every leftover beside the target is from a killed run: it deletes stale
staging folders and, where a kill fell between the two renames, puts the old folder back.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from engine.errors import ValidationError
from engine.store.lock import try_lock_file, unlock_file

log = logging.getLogger(__name__)


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


@contextmanager
def target_lock(target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``target`` and recover what killed builders left behind.

    Raises :class:`ValidationError` when another process is building ``target`` right now.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.with_name(f".{target.name}.lock")
    while True:
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the block ends
        if not try_lock_file(fh):
            fh.close()
            raise ValidationError(
                f"another process is writing {target} right now; wait for it "
                "to finish or choose another folder",
                field="out_dir",
            )
        try:  # the holder before us may have unlinked the file after we opened it: retry
            same = os.path.samestat(os.fstat(fh.fileno()), os.stat(path))
        except OSError:
            same = False
        if same:
            break
        unlock_file(fh)
        fh.close()
    try:
        recover_leftovers(target)
        yield
    finally:
        with suppress(OSError):  # Windows keeps an open file; the next holder reuses it
            path.unlink()
        unlock_file(fh)
        fh.close()


def recover_leftovers(target: Path) -> list[str]:
    """Clean up after builders of ``target`` that were killed (call with the lock held).

    A target that vanished between the two renames of :func:`move_into_place` gets its old
    folder back; stale staging and old folders are deleted. Returns what was done, for tests.
    """
    done: list[str] = []
    prefix = f".{target.name}."
    olds = sorted(
        (p for p in target.parent.glob(prefix + "old-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    if olds and not target.exists():
        os.replace(olds.pop(0), target)
        done.append(f"restored {target.name}")
    for p in [*olds, *target.parent.glob(prefix + "staging-*.tmp")]:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"removed {p.name}")
    if done:
        log.warning("recovered after an interrupted write of %s: %s", target, "; ".join(done))
    return done


def staging_dir(target: Path) -> Path:
    """A new hidden folder beside ``target`` (same file system, so renames are atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.staging-"
    tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=target.parent))
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
