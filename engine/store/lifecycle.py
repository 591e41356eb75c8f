"""Opening-time maintenance of a project folder: schema migrations and leftover clean-up."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.errors import SchemaTooNewError, StoreError
from engine.store import backups, schema
from engine.store.database import Database


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


def cleanup_temp_files(folder: Path) -> None:
    for pattern in ("*.tmp", ".tmp-*", "project.sqlite.creating", "project.sqlite.restore-tmp"):
        for p in folder.glob(pattern):
            if p.is_file():
                p.unlink(missing_ok=True)
    exports = folder / "exports"
    if exports.is_dir():
        for p in exports.glob(".tmp-*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
