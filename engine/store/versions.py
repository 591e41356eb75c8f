"""Model versions and training runs recorded in the store.

A version's folder ``models/vNNNN`` is renamed into place *before* its row is inserted, so a row
always points at a complete folder; a folder without a row is registered again at start-up when
it is complete, or set aside in ``unregistered-models/`` (never deleted).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import struct
from pathlib import Path
from typing import Any

from engine.errors import NotFoundError, StoreError, ValidationError
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
            "SELECT value FROM settings WHERE key = 'active_version'"
        ).fetchone()
        return r[0] if r else None

    def _from_row(self, r: tuple[Any, ...], active: str | None) -> ModelVersion:
        return ModelVersion(
            id=r[0],
            name=r[1],
            path=str(self.models_dir / r[1]),
            created_at=r[3],
            base_model=r[4],
            metrics=loads(r[5]),
            counts=loads(r[6]),
            config=loads(r[7]),
            active=(r[1] == active),
            weights_deleted=bool(r[8]),
        )

    def get_all(self) -> list[ModelVersion]:
        active = self._active_name()
        rows = self.db.execute_read(
            "SELECT id, name, path, created_at, base_model, metrics, counts, config,"
            " weights_deleted FROM model_versions ORDER BY id"
        ).fetchall()
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

    def register(
        self,
        name: str,
        *,
        base_model: str,
        metrics: dict[str, Any],
        counts: dict[str, Any],
        config: dict[str, Any],
        labelled_segments: int = 0,
        activate: bool = True,
    ) -> ModelVersion:
        folder = self.models_dir / name
        if not VERSION_RE.match(name) or not folder.is_dir():
            raise NotFoundError(f"model folder {folder} does not exist; nothing was registered")
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO model_versions (name, path, created_at, base_model, metrics, counts,"
                " config, labelled_segments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    name,
                    now(),
                    base_model,
                    dumps(metrics),
                    dumps(counts),
                    dumps(config),
                    labelled_segments,
                ),
            )
            if activate:
                conn.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES ('active_version', ?)",
                    (name,),
                )
        return self.get(name)

    def activate(self, name: str) -> ModelVersion:
        if self.get(name).weights_deleted:
            raise ValidationError(
                f"{name} keeps only its scores: its weights were deleted to save disk space "
                "(project setting keep_weights). Activate a version that still has weights, or "
                "retrain.",
                field="version",
            )
        self.db.execute_write(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('active_version', ?)", (name,)
        )
        return self.get(name)

    def delete(self, name: str) -> None:
        version = self.get(name)
        with self.db.write() as conn:
            conn.execute("DELETE FROM model_versions WHERE id = ?", (version.id,))
            conn.execute("DELETE FROM al_scores WHERE model_version = ?", (name,))
            if version.active:
                conn.execute("DELETE FROM settings WHERE key = 'active_version'")
        shutil.rmtree(self.models_dir / name, ignore_errors=True)

    # -- disk use -------------------------------------------------------------------------------
    def prune_weights(self, keep: int) -> list[str]:
        """Delete the weights of every version but the active one and the ``keep`` newest others;
        their rows, metrics and config files stay (marked ``weights_deleted``). Returns the
        versions pruned now."""
        others = [v for v in self.get_all() if not v.active]
        kept = {v.name for v in others[-keep:]} if keep > 0 else set()
        pruned = [v.name for v in others if v.name not in kept and not v.weights_deleted]
        if not pruned:
            return []
        with self.db.write() as conn:  # mark first: a row never claims weights it lacks
            conn.executemany(
                "UPDATE model_versions SET weights_deleted = 1 WHERE name = ?",
                [(n,) for n in pruned],
            )
        for name in pruned:
            _delete_weights(self.models_dir / name)
        log.info("deleted the weights of %s (keep_weights=%d)", ", ".join(pruned), keep)
        return pruned

    def labelled_fingerprint(self) -> str:
        """A digest of what training would learn from: labelled segments and their spans."""
        digest = hashlib.sha256()
        rows = self.db.connection().execute(
            'SELECT g.id, g.split, s.start, s."end", l.name FROM segments g'
            " LEFT JOIN spans s ON s.segment_id = g.id LEFT JOIN labels l ON l.id = s.label_id"
            " WHERE g.status = 'labelled' ORDER BY g.id, s.start, s.\"end\", l.name"
        )
        for row in rows:
            digest.update(repr(row).encode())
        return digest.hexdigest()

    def record_fingerprint(self, name: str, fingerprint: str) -> None:
        self.db.execute_write(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
            (f"fingerprint:{name}", fingerprint),
        )

    def fingerprint(self, name: str) -> str | None:
        r = (
            self.db.connection()
            .execute("SELECT value FROM settings WHERE key = ?", (f"fingerprint:{name}",))
            .fetchone()
        )
        return r[0] if r else None

    # -- training runs ---------------------------------------------------------------------------
    def start_run(self, config: dict[str, Any]) -> int:
        cur = self.db.execute_write(
            "INSERT INTO training_runs (started_at, status, config) VALUES (?, 'running', ?)",
            (now(), dumps(config)),
        )
        return int(cur.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        version: str | None = None,
        log_text: str = "",
        error: str | None = None,
    ) -> None:
        with self.db.write() as conn:
            version_id = None
            if version is not None:
                r = conn.execute(
                    "SELECT id FROM model_versions WHERE name = ?", (version,)
                ).fetchone()
                version_id = r[0] if r else None
            conn.execute(
                "UPDATE training_runs SET finished_at = ?, status = ?, version_id = ?, log = ?,"
                " error = ? WHERE id = ?",
                (now(), status, version_id, log_text, error, run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        rows = self.db.execute_read(
            "SELECT id, started_at, finished_at, status, config, version_id, log, error"
            " FROM training_runs ORDER BY id"
        ).fetchall()
        keys = ("id", "started_at", "finished_at", "status", "config", "version_id", "log", "error")
        return [dict(zip(keys, r, strict=True)) for r in rows]


UNREGISTERED_DIR = "unregistered-models"
#: what a version folder keeps when its weights go: scores, config, labels, tokenizer
_KEPT_FILES = frozenset(
    {
        "metrics.json",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
        "training_log.txt",
    }
)


def _delete_weights(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path.name not in _KEPT_FILES:
            path.unlink(missing_ok=True)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def cleanup_orphans(db: Database, models_dir: Path) -> list[str]:
    """Deal with model folders no row registers; returns one notice per folder it handled.

    A crash between the rename and the insert, or a restored older database, leaves version
    folders without a row. A complete, valid version is registered again (not activated); an
    incomplete one is moved to ``unregistered-models/`` beside ``models/``: a trained model is
    never deleted. Only the trainer's own ``.tmp-*`` folders are removed (the caller holds the
    project lock, so no live process is writing them).
    """
    notices: list[str] = []
    if not models_dir.is_dir():
        return notices
    registered = {n for (n,) in db.execute_read("SELECT name FROM model_versions")}
    store = VersionStore(db, models_dir)
    for p in sorted(models_dir.iterdir()):
        if p.name.startswith(TEMP_PREFIX):
            log.info("removing unfinished model folder %s", p)
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        elif VERSION_RE.match(p.name) and p.name not in registered and p.is_dir():
            try:
                notices.append(_adopt_or_set_aside(store, p))
            except (StoreError, OSError) as exc:  # a full disk: leave it for the next open
                notices.append(
                    f"model folder {p} is not in the database and could not be "
                    f"registered or set aside ({exc}); it was left as it is"
                )
    return notices


def _adopt_or_set_aside(store: VersionStore, folder: Path) -> str:
    meta, problem = version_folder_problem(folder)
    if meta is not None and problem is None:
        counts = _dict(meta.get("counts"))
        store.register(
            folder.name,
            base_model=str(meta.get("base_model", "unknown")),
            metrics=_dict(meta.get("metrics")),
            counts=counts,
            config=_dict(meta.get("config")),
            labelled_segments=int(counts.get("train_sentences", 0) or 0),
            activate=False,
        )
        return (
            f"model version {folder.name} was on disk but not in the database (a restored "
            f"backup or an interrupted save); it is registered again"
        )
    aside = folder.parent.parent / UNREGISTERED_DIR
    aside.mkdir(exist_ok=True)
    dest = aside / folder.name
    n = 1
    while dest.exists():
        n += 1
        dest = aside / f"{folder.name}-{n}"
    folder.replace(dest)
    return (
        f"model folder {folder.name} is not in the database and is incomplete ({problem}); "
        f"moved to {dest} (nothing was deleted)"
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def version_folder_problem(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(spantune.json, None)`` for a complete version folder, else ``(meta, what is wrong)``.

    Complete: readable ``spantune.json`` (labels, tags, base model), ``config.json`` with a
    label map, a tokenizer and safetensors weights whose header matches the file size.
    """
    meta: dict[str, Any] | None = None
    try:
        meta = json.loads((folder / "spantune.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return meta, f"spantune.json or config.json unreadable: {exc}"
    if not isinstance(meta, dict) or not {"labels", "tags", "base_model"} <= meta.keys():
        return None, "spantune.json lacks labels, tags or base_model"
    if not isinstance(config, dict) or "id2label" not in config:
        return meta, "config.json has no label map"
    if not (folder / "tokenizer.json").is_file() and not (folder / "vocab.txt").is_file():
        return meta, "no tokenizer"
    weights = sorted(folder.glob("*.safetensors"))
    if not weights:
        return meta, "no safetensors weights"
    for w in weights:
        if (problem := safetensors_problem(w)) is not None:
            return meta, problem
    return meta, None


def safetensors_problem(path: Path) -> str | None:
    """What is wrong with a safetensors file's framing (a truncated write), or None."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                return f"{path.name} is truncated"
            n = struct.unpack("<Q", head)[0]
            if n > min(size - 8, 100_000_000):
                return f"{path.name} has a damaged header"
            header = json.loads(fh.read(n))
    except (OSError, ValueError) as exc:
        return f"{path.name} unreadable: {exc}"
    ends = [
        v["data_offsets"][1]
        for k, v in header.items()
        if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v
    ]
    if 8 + n + max(ends, default=0) != size:
        return f"{path.name} is truncated"
    return None
