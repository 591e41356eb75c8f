"""Opening-time maintenance of a project folder: schema migrations and leftover clean-up."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

from engine.errors import SchemaTooNewError, StoreError, ValidationError
from engine.store import backups, schema, versions
from engine.store.database import Database
from engine.store.util import now

log = logging.getLogger(__name__)


def migrate(folder: Path, db_path: Path, read_only: bool) -> None:
    probe = Database(db_path, read_only=True)
    try:
        version = int(probe.connection().execute("PRAGMA user_version").fetchone()[0])
    finally:
        probe.close()
    if version > schema.SCHEMA_VERSION:
        raise SchemaTooNewError(version, schema.SCHEMA_VERSION)
    if version == schema.SCHEMA_VERSION:
        return
    if version == 0 or version not in schema.MIGRATIONS:
        raise StoreError(f"{db_path} has no Spantune schema (version {version})")
    if read_only:
        raise StoreError(f"{db_path} needs an upgrade; open it once for writing")
    backups.backup_file(db_path, folder, f"pre-migration-v{version}")
    db = Database(db_path)
    try:
        with db.write() as conn:
            while version < schema.SCHEMA_VERSION:
                schema.MIGRATIONS[version](conn)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
    finally:
        db.close()


def tidy_on_open(db: Database, folder: Path, backup_interval_hours: float) -> list[str]:
    """What a write-open does once it holds the project lock; returns notices for the person.

    Holding the lock means no live Spantune works on the project, so every leftover of the
    tool's own (temp files, staging folders, runs still marked running) is from a process that
    died. Nothing here stops the project from opening: a failed scheduled backup (a full disk)
    or a failed clean-up becomes a notice.
    """
    notices: list[str] = []
    for sub in ("models", "exports", "backups"):
        (folder / sub).mkdir(exist_ok=True)
    notices += versions.cleanup_orphans(db, folder / "models")
    try:
        n = mark_interrupted_runs(db)
    except StoreError as exc:
        notices.append(f"could not mark interrupted training runs: {exc}")
    else:
        if n:
            log.info("marked %d training run(s) interrupted", n)
    try:
        cleanup_temp_files(folder)
    except (OSError, StoreError) as exc:
        notices.append(f"could not remove temp files left by an interrupted run: {exc}")
    if backups.backup_due(folder, backup_interval_hours):
        try:
            backups.make_backup(db, folder, "scheduled")
        except StoreError as exc:
            notices.append(
                f"the scheduled backup failed ({exc}); the project is open, "
                "but free some disk space and back it up soon"
            )
    for text in notices:
        log.warning("%s", text)
    return notices


INTERRUPTED = "interrupted: the process ended before training finished"


def mark_interrupted_runs(db: Database) -> int:
    """Runs still 'running' belong to a process that died: record them as failed, interrupted.

    (The schema's CHECK allows no 'interrupted' status; the error text says it.)
    """
    with db.write() as conn:
        cur = conn.execute(
            "UPDATE training_runs SET status = 'failed', finished_at = ?, error = ?"
            " WHERE status = 'running'",
            (now(), INTERRUPTED),
        )
        return int(cur.rowcount or 0)


def cleanup_temp_files(folder: Path) -> None:
    """Remove the tool's own temp files and staging folders left by killed processes."""
    for pattern in ("*.tmp", ".tmp-*", "project.sqlite.creating", "project.sqlite.restore-tmp"):
        for p in folder.glob(pattern):
            if p.is_file():
                p.unlink(missing_ok=True)
    backups.remove_stale_temp_files(folder)
    exports = folder / "exports"
    if exports.is_dir():
        for p in exports.glob(".tmp-*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        _recover_staged_folders(exports)
    models = folder / "models"
    if models.is_dir():
        for version in models.iterdir():
            if version.is_dir() and versions.VERSION_RE.match(version.name):
                _recover_staged_folders(version)


_STAGED = re.compile(r"^\.(?P<target>.+)\.(staging-.*\.tmp|old-[0-9a-f]+)$")


def _recover_staged_folders(parent: Path) -> None:
    """Put back or remove what killed folder builders (export, rescore) left in ``parent``.

    Each target's own lock (``.NAME.lock``) says whether a builder is still at work.
    """
    from engine.export.folder import target_lock

    targets = {
        m.group("target") for p in parent.iterdir() if p.is_dir() and (m := _STAGED.match(p.name))
    }
    for name in sorted(targets):
        try:
            with target_lock(parent / name):
                pass
        except (ValidationError, OSError) as exc:  # being written right now, or unwritable
            log.info("left %s alone: %s", parent / name, exc)
