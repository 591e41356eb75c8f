"""Automatic and manual backups of the project database, and restoring one.

Backups use SQLite's online backup API, so they are consistent even while the app writes.
Restoring removes the stale ``-wal``/``-shm`` files first so they cannot replay over the copy.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from engine.errors import NotFoundError, StoreError
from engine.store.database import Database, integrity_problem

BACKUP_DIR = "backups"
KEEP = 5


def backup_dir(project_dir: Path) -> Path:
    return project_dir / BACKUP_DIR


def list_backups(project_dir: Path) -> list[Path]:
    """Backups newest first."""
    folder = backup_dir(project_dir)
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("project-*.sqlite") if p.is_file()]
    return sorted(files, key=lambda p: p.name, reverse=True)


def make_backup(db: Database, project_dir: Path, reason: str = "manual",
                keep: int = KEEP) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dest = backup_dir(project_dir) / f"project-{stamp}-{reason}.sqlite"
    db.backup_to(dest)
    _prune(project_dir, reason, keep)
    return dest


def backup_file(src: Path, project_dir: Path, reason: str) -> Path:
    """Back up a database file that is not open (before a migration)."""
    source = Database(src, read_only=True)
    try:
        return make_backup(source, project_dir, reason)
    finally:
        source.close()


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


def restore_backup(project_dir: Path, backup: Path) -> None:
    """Replace the project's database with ``backup`` (the project must be closed)."""
    backup = Path(backup)
    if not backup.is_file():
        raise NotFoundError(f"backup {backup} does not exist")
    problem = integrity_problem(backup, full=True)
    if problem is not None:
        raise StoreError(f"backup {backup} is damaged too ({problem}); choose another")
    db_path = project_dir / "project.sqlite"
    tmp = db_path.with_name("project.sqlite.restore-tmp")
    shutil.copyfile(backup, tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    tmp.replace(db_path)
