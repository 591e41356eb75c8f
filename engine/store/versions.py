"""Model versions and training runs recorded in the store.

A version's folder ``models/vNNNN`` is renamed into place *before* its row is inserted, so a row
always points at a complete folder; folders without a row are orphans removed at start-up.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

from engine.errors import NotFoundError
from engine.store.database import Database
from engine.store.util import dumps, loads, now
from engine.types import ModelVersion

log = logging.getLogger(__name__)
VERSION_RE = re.compile(r"^v(\d{4,})$")
TEMP_PREFIX = ".tmp-"


class VersionStore:
    def __init__(self, db: Database, models_dir: Path) -> None:
        self.db = db
        self.models_dir = models_dir

    def _active_name(self) -> str | None:
        r = self.db.execute_read(
            "SELECT value FROM settings WHERE key = 'active_version'").fetchone()
        return r[0] if r else None

    def _from_row(self, r: tuple[Any, ...], active: str | None) -> ModelVersion:
        return ModelVersion(id=r[0], name=r[1], path=str(self.models_dir / r[1]), created_at=r[3],
                            base_model=r[4], metrics=loads(r[5]), counts=loads(r[6]),
                            config=loads(r[7]), active=(r[1] == active))

    def get_all(self) -> list[ModelVersion]:
        active = self._active_name()
        rows = self.db.execute_read(
            "SELECT id, name, path, created_at, base_model, metrics, counts, config"
            " FROM model_versions ORDER BY id").fetchall()
        return [self._from_row(r, active) for r in rows]

    def get(self, name: str) -> ModelVersion:
        for v in self.get_all():
            if v.name == name:
                return v
        raise NotFoundError(f"no model version {name!r}")

    def active(self) -> ModelVersion | None:
        name = self._active_name()
        return self.get(name) if name else None

    def next_name(self) -> str:
        numbers = [0]
        for v in self.get_all():
            numbers.append(int(v.name[1:]))
        if self.models_dir.is_dir():
            for p in self.models_dir.iterdir():
                m = VERSION_RE.match(p.name)
                if m:
                    numbers.append(int(m.group(1)))
        return f"v{max(numbers) + 1:04d}"

    def register(self, name: str, *, base_model: str, metrics: dict[str, Any],
                 counts: dict[str, Any], config: dict[str, Any], labelled_segments: int = 0,
                 activate: bool = True) -> ModelVersion:
        folder = self.models_dir / name
        if not VERSION_RE.match(name) or not folder.is_dir():
            raise NotFoundError(f"model folder {folder} does not exist; nothing was registered")
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO model_versions (name, path, created_at, base_model, metrics, counts,"
                " config, labelled_segments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, name, now(), base_model, dumps(metrics), dumps(counts), dumps(config),
                 labelled_segments))
            if activate:
                conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES"
                             " ('active_version', ?)", (name,))
        return self.get(name)

    def activate(self, name: str) -> ModelVersion:
        self.get(name)
        self.db.execute_write("INSERT OR REPLACE INTO settings (key, value) VALUES"
                              " ('active_version', ?)", (name,))
        return self.get(name)

    def delete(self, name: str) -> None:
        version = self.get(name)
        with self.db.write() as conn:
            conn.execute("DELETE FROM model_versions WHERE id = ?", (version.id,))
            conn.execute("DELETE FROM al_scores WHERE model_version = ?", (name,))
            if version.active:
                conn.execute("DELETE FROM settings WHERE key = 'active_version'")
        shutil.rmtree(self.models_dir / name, ignore_errors=True)

    # -- training runs ---------------------------------------------------------------------------
    def start_run(self, config: dict[str, Any]) -> int:
        cur = self.db.execute_write(
            "INSERT INTO training_runs (started_at, status, config) VALUES (?, 'running', ?)",
            (now(), dumps(config)))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, *, version: str | None = None,
                   log_text: str = "", error: str | None = None) -> None:
        with self.db.write() as conn:
            version_id = None
            if version is not None:
                r = conn.execute("SELECT id FROM model_versions WHERE name = ?",
                                 (version,)).fetchone()
                version_id = r[0] if r else None
            conn.execute(
                "UPDATE training_runs SET finished_at = ?, status = ?, version_id = ?, log = ?,"
                " error = ? WHERE id = ?", (now(), status, version_id, log_text, error, run_id))

    def runs(self) -> list[dict[str, Any]]:
        rows = self.db.execute_read(
            "SELECT id, started_at, finished_at, status, config, version_id, log, error"
            " FROM training_runs ORDER BY id").fetchall()
        keys = ("id", "started_at", "finished_at", "status", "config", "version_id", "log",
                "error")
        return [dict(zip(keys, r, strict=True)) for r in rows]


def cleanup_orphans(db: Database, models_dir: Path) -> list[Path]:
    """Remove temp folders and version folders that no row registers (a crash mid-write)."""
    removed: list[Path] = []
    if not models_dir.is_dir():
        return removed
    registered = {n for (n,) in db.execute_read("SELECT name FROM model_versions")}
    for p in models_dir.iterdir():
        if p.name.startswith(TEMP_PREFIX) or (VERSION_RE.match(p.name) and
                                              p.name not in registered):
            log.info("removing unfinished model folder %s", p)
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            removed.append(p)
    return removed
