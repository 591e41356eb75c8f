"""Automatic and manual backups of the project database, and restoring one.

Backups use SQLite's online backup API, so they are consistent even while another process (the
app) writes: a backup needs no project lock, only ``backups/.backup.lock`` so that the clean-up
at the next open never removes the ``.tmp`` of a backup still being written. Restoring needs the
project closed, backs up the current database first and removes the stale ``-wal``/``-shm``
files so they cannot replay over the copy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from engine.errors import NotFoundError, StoreError, write_failure, writing
from engine.store.database import Database, integrity_problem
from engine.store.lock import try_lock_file, unlock_file

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
KEEP = 5
LOCK_NAME = ".backup.lock"


def backup_dir(project_dir: Path) -> Path:
    return project_dir / BACKUP_DIR


def list_backups(project_dir: Path) -> list[Path]:
    """Backups newest first."""
    folder = backup_dir(project_dir)
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("project-*.sqlite") if p.is_file()]
    return sorted(files, key=lambda p: p.name, reverse=True)


@contextlib.contextmanager
def _backup_lock(folder: Path, *, wait: bool) -> Iterator[bool]:
    """Hold ``backups/.backup.lock``; yields False (``wait=False``) when another holds it."""
    with writing(folder, "the backup folder"):
        folder.mkdir(parents=True, exist_ok=True)
        fh: IO[str] = open(folder / LOCK_NAME, "a+", encoding="utf-8")  # noqa: SIM115
    try:
        got = try_lock_file(fh)
        while not got and wait:
            time.sleep(0.05)
            got = try_lock_file(fh)
        try:
            yield got
        finally:
            if got:
                unlock_file(fh)
    finally:
        fh.close()


def make_backup(db: Database, project_dir: Path, reason: str = "manual", keep: int = KEEP) -> Path:
    """Copy the database into ``backups/`` (online: safe beside a writer in another process).

    Raises DiskFullError / StoreError naming the file that could not be written; a failed
    backup leaves no ``.tmp`` behind.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = backup_dir(project_dir)
    dest = folder / f"project-{stamp}-{reason}.sqlite"
    tmp = dest.with_name(dest.name + ".tmp")
    with _backup_lock(folder, wait=True):
        try:
            db.backup_to(dest)
            with open(dest, "rb") as fh:
                os.fsync(fh.fileno())
        except (sqlite3.Error, OSError, StoreError) as exc:
            tmp.unlink(missing_ok=True)
            raise write_failure(exc, tmp, "the backup") from exc
        _prune(project_dir, reason, keep)
    return dest


def backup_file(src: Path, project_dir: Path, reason: str) -> Path:
    """Back up a database file that is not open (before a migration or a restore)."""
    source = Database(src, read_only=True)
    try:
        return make_backup(source, project_dir, reason)
    finally:
        source.close()


def remove_stale_temp_files(project_dir: Path) -> list[Path]:
    """Remove ``backups/*.tmp`` left by killed or failed backups (none is being written now)."""
    folder = backup_dir(project_dir)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    with _backup_lock(folder, wait=False) as free:
        if not free:
            return removed
        for p in folder.glob("*.tmp"):
            if p.is_file():
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def _prune(project_dir: Path, reason: str, keep: int) -> None:
    same = [p for p in list_backups(project_dir) if p.stem.endswith("-" + reason)]
    for old in same[keep:]:
        old.unlink(missing_ok=True)


def backup_due(project_dir: Path, interval_hours: float) -> bool:
    if interval_hours <= 0:
        return False
    scheduled = [p for p in list_backups(project_dir) if p.stem.endswith("-scheduled")]
    if not scheduled:
        return True
    return time.time() - scheduled[0].stat().st_mtime > interval_hours * 3600


def restore_backup(project_dir: Path, backup: Path) -> Path | None:
    """Replace the project's database with ``backup`` (the caller holds the project lock).

    The current database is backed up first (``…-pre-restore.sqlite``; returned), so a restore
    can itself be undone. Raises NotFoundError, StoreError (a damaged backup), DiskFullError
    (nothing was changed).
    """
    backup = Path(backup)
    if not backup.is_file():
        raise NotFoundError(f"backup {backup} does not exist")
    problem = integrity_problem(backup, full=True)
    if problem is not None:
        raise StoreError(f"backup {backup} is damaged too ({problem}); choose another")
    db_path = project_dir / "project.sqlite"
    before = _pre_restore_copy(db_path, project_dir) if db_path.is_file() else None
    tmp = db_path.with_name("project.sqlite.restore-tmp")
    try:
        shutil.copyfile(backup, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_failure(exc, tmp, "the restored database") from exc
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    tmp.replace(db_path)
    return before


def _pre_restore_copy(db_path: Path, project_dir: Path) -> Path:
    """Back up the database a restore replaces; a damaged one is copied byte for byte."""
    if integrity_problem(db_path) is None:
        try:
            return backup_file(db_path, project_dir, "pre-restore")
        except StoreError as exc:  # same class (DiskFullError stays one), saying what it means
            raise type(exc)(f"nothing was restored: {exc}") from exc
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dest = backup_dir(project_dir) / f"damaged-{stamp}-pre-restore.sqlite"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(db_path, dest)
        wal = Path(str(db_path) + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, str(dest) + "-wal")
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise write_failure(exc, dest, "the copy of the current database") from exc
    log.warning("the current database is damaged; kept a raw copy at %s", dest)
    return dest
