"""The Project facade: the only surface the desktop app and the CLI use.

A project is a folder ``NAME.spantune/`` holding ``project.sqlite``, ``models/`` (one folder per
trained version), ``exports/`` and ``backups/``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import (
    CorruptDatabaseError,
    ProjectExistsError,
    ProjectNotFoundError,
    StoreError,
    ValidationError,
)
from engine.progress import CancelToken, EventCallback, ProgressEvent, check, emit
from engine.store import backups, corpus, lifecycle
from engine.store.annotations import AnnotationStore
from engine.store.database import Database, integrity_problem
from engine.store.labels import LabelStore, add_label
from engine.store.lock import ProjectLock
from engine.store.schema import create_schema
from engine.store.versions import VersionStore, cleanup_orphans
from engine.types import ImportReport, Segment

if TYPE_CHECKING:
    from engine.active_learning import QueueItem, RescoreResult
    from engine.active_learning.simulate import SimulationResult
    from engine.export.exporter import ExportResult
    from engine.inference.predictor import Predictor
    from engine.training import TrainConfig, TrainResult

log = logging.getLogger(__name__)

SUFFIX = ".spantune"
DB_NAME = "project.sqlite"
DEFAULT_SETTINGS: dict[str, Any] = {
    "base_model": "bundled",
    "eval_share": 0.15,
    "strategy": "mnlp",
    "snap_mode": "expand",
    "max_import_mb": 512,
    "backup_interval_hours": 24,
    "seed": 0,
}


def _number(key: str, value: Any, lo: float, hi: float, kind: type = float) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or (kind is int and not float(value).is_integer()) or not lo <= value <= hi:
        what = "a whole number" if kind is int else "a number"
        raise ValidationError(f"must be {what} between {lo:g} and {hi:g}, not {value!r}",
                              field=key)
    return kind(value)


def check_setting(key: str, value: Any) -> Any:
    """``value`` for setting ``key`` if it is valid (normalised), else :class:`ValidationError`."""
    if key not in DEFAULT_SETTINGS:
        raise ValidationError(f"unknown setting {key!r}; known: {', '.join(DEFAULT_SETTINGS)}",
                              field=key)
    if key == "eval_share":
        return _number(key, value, 0.0, 0.5)
    if key == "max_import_mb":
        return _number(key, value, 1, 1024 * 1024)
    if key == "backup_interval_hours":
        return _number(key, value, 0, 24 * 365)  # 0 turns scheduled backups off
    if key == "seed":
        return _number(key, value, 0, 2**32 - 1, int)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"must be a non-empty text, not {value!r}", field=key)
    if key == "base_model":
        from engine.errors import ModelLoadError
        from engine.models.base import check_base_model_name

        try:
            return check_base_model_name(value)
        except ModelLoadError as exc:
            raise ValidationError(str(exc), field=key) from exc
    if key == "strategy":
        from engine.active_learning.strategies import strategy_names

        if value not in strategy_names():
            raise ValidationError(f"unknown strategy {value!r}; choose one of "
                                  f"{', '.join(strategy_names())}", field=key)
    if key == "snap_mode":
        from engine.text.snap import SNAP_MODES

        if value not in SNAP_MODES:
            raise ValidationError(f"unknown snap mode {value!r}; choose one of "
                                  f"{', '.join(SNAP_MODES)}", field=key)
    return value


def resolve_project_path(path: str | Path) -> Path:
    """``P`` names ``P`` when it is a project folder, else ``P.spantune``."""
    p = Path(path)
    if (p / DB_NAME).is_file() or p.suffix == SUFFIX:
        return p
    with_suffix = p.with_name(p.name + SUFFIX)
    return with_suffix if (with_suffix / DB_NAME).is_file() else p


class Project:
    """An open Spantune project. Use :meth:`create` or :meth:`open`; close it when done."""

    def __init__(self, folder: Path, db: Database, lock: ProjectLock | None) -> None:
        self.path = folder
        self.db = db
        self._lock = lock
        self.labels = LabelStore(db)
        self.annotations = AnnotationStore(db)
        self.versions = VersionStore(db, self.models_dir)

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def models_dir(self) -> Path:
        return self.path / "models"

    @property
    def exports_dir(self) -> Path:
        return self.path / "exports"

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    @classmethod
    def create(cls, path: str | Path, labels: Sequence[str] = (), *,
               settings: dict[str, Any] | None = None) -> Project:
        """Create a new project folder (``.spantune`` is appended when missing).

        Raises ProjectExistsError when a project is already there.
        """
        settings = {k: check_setting(k, v) for k, v in (settings or {}).items()}
        folder = Path(path)
        if folder.suffix != SUFFIX:
            folder = folder.with_name(folder.name + SUFFIX)
        if (folder / DB_NAME).exists():
            raise ProjectExistsError(f"a project already exists at {folder}")
        if folder.exists() and any(folder.iterdir()):
            raise ProjectExistsError(f"{folder} exists and is not empty")
        folder.mkdir(parents=True, exist_ok=True)
        for sub in ("models", "exports", "backups"):
            (folder / sub).mkdir(exist_ok=True)
        tmp = folder / (DB_NAME + ".creating")
        tmp.unlink(missing_ok=True)
        db = Database(tmp)
        try:
            with db.write() as conn:
                create_schema(conn)
                values = {**DEFAULT_SETTINGS, **(settings or {})}
                conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)",
                                 [(k, json.dumps(v)) for k, v in values.items()])
                for name in labels:
                    add_label(conn, name)
            db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.connection().execute("PRAGMA journal_mode = DELETE")
        finally:
            db.close()
        tmp.replace(folder / DB_NAME)
        return cls.open(folder)

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False,
             max_pages: int | None = None) -> Project:
        """Open a project: lock, integrity check, migrations, clean-up of unfinished writes.

        Raises ProjectNotFoundError, ProjectLockedError, CorruptDatabaseError (the file is not
        touched), SchemaTooNewError.
        """
        folder = resolve_project_path(path)
        db_path = folder / DB_NAME
        if not db_path.is_file():
            raise ProjectNotFoundError(f"{folder} is not a Spantune project (no {DB_NAME})")
        lock = None
        if not read_only:
            lock = ProjectLock(folder)
            lock.acquire()
        try:
            problem = integrity_problem(db_path)
            if problem is not None:
                raise CorruptDatabaseError(db_path, problem, backups.list_backups(folder))
            lifecycle.migrate(folder, db_path, read_only)
            db = Database(db_path, read_only=read_only, max_pages=max_pages)
            project = cls(folder, db, lock)
            if not read_only:
                for sub in ("models", "exports", "backups"):
                    (folder / sub).mkdir(exist_ok=True)
                cleanup_orphans(db, project.models_dir)
                lifecycle.cleanup_temp_files(folder)
                if backups.backup_due(folder, float(project.setting("backup_interval_hours"))):
                    backups.make_backup(db, folder, "scheduled")
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return project

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- settings ----------------------------------------------------------------------------------
    def setting(self, key: str) -> Any:
        r = self.db.connection().execute("SELECT value FROM settings WHERE key = ?",
                                         (key,)).fetchone()
        if r is None:
            if key not in DEFAULT_SETTINGS:
                raise ValidationError(f"unknown setting {key!r}; known: "
                                      f"{', '.join(DEFAULT_SETTINGS)}", field=key)
            return DEFAULT_SETTINGS[key]
        return json.loads(r[0])

    def set_setting(self, key: str, value: Any) -> None:
        """Store one project setting after checking it (:class:`ValidationError` names the key)."""
        self.set_settings({key: value})

    def set_settings(self, values: dict[str, Any]) -> None:
        """Check every value, then store them all in one transaction (all or nothing)."""
        checked = {key: check_setting(key, value) for key, value in values.items()}
        with self.db.write() as conn:
            conn.executemany("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                             [(key, json.dumps(value)) for key, value in checked.items()])

    # -- import / export -------------------------------------------------------------------------
    def import_files(self, paths: Iterable[str | Path], fmt: str | None = None, *,
                     segment: str = "sentences", as_suggestions: bool = False,
                     update: bool = False, options: dict[str, Any] | None = None,
                     on_event: EventCallback | None = None,
                     cancel: CancelToken | None = None) -> ImportReport:
        """Import files all-or-nothing, in one write transaction that reads them as it stores.

        Texts already in the project are skipped (counted in ``duplicates``) unless ``update``
        replaces their annotations; a backup is taken first (``report.backup``). ``options``
        go to the readers (``tag_names``). Raises FormatError (file and line) for a malformed
        file and Cancelled when cancelled; in both cases nothing is stored. Reports
        ProgressEvent(stage="read"/"store").
        """
        from engine.formats.files import open_documents
        from engine.store.imports import DocumentImporter

        if segment not in ("sentences", "lines", "document"):
            raise ValidationError(f"unknown segmentation {segment!r}", field="segment")
        files = [Path(p) for p in paths]
        limit = int(float(self.setting("max_import_mb")) * 1024 * 1024)
        options = {**(options or {}), "as_suggestions": as_suggestions}
        opened = []
        for i, path in enumerate(files):
            check(cancel)
            emit(on_event, ProgressEvent("read", i, len(files), f"reading {path.name}"))
            opened.append((path, *open_documents(path, fmt, max_bytes=limit, options=options)))
        backup = str(self.backup("before-update")) if update else None
        emit(on_event, ProgressEvent("store", 0, len(files), "storing"))
        warnings: list[str] = []
        with self.db.write() as conn:
            importer = DocumentImporter(conn, mode=segment, as_suggestions=as_suggestions,
                                        eval_share=float(self.setting("eval_share")),
                                        seed=int(self.setting("seed")), update=update)
            for i, (path, ctx, docs) in enumerate(opened):
                for n, doc in enumerate(docs):
                    if n % 1000 == 0:
                        check(cancel)
                    importer.add(doc, str(path))
                warnings += ctx.warnings()
                emit(on_event, ProgressEvent("store", i + 1, len(files), str(path)))
        c = importer.counts
        return ImportReport(files=len(files), documents=c.documents, segments=c.segments,
                            spans=c.spans, duplicates=c.duplicates,
                            new_labels=tuple(c.new_labels), as_suggestions=as_suggestions,
                            warnings=tuple(warnings), suggestions=c.suggestions,
                            rejections=c.rejections, merged=c.merged, updated=c.updated,
                            backup=backup)

    def export(self, out: str | Path, fmt: str, *, only_labelled: bool = False) -> int:
        """Write the project's documents and accepted spans to ``out`` (atomic replace)."""
        from engine.formats import write_file

        with self.db.read() as conn:
            docs = corpus.documents_for_export(conn, only_labelled=only_labelled)
        labels = [lab.name for lab in self.labels.list()]
        return write_file(docs, Path(out), fmt, labels=labels)

    # -- reading -----------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        with self.db.read() as conn:
            out = corpus.stats(conn)
        active = self.versions.active()
        out["active_version"] = active.name if active else None
        out["versions"] = len(self.versions.list())
        return out

    def segment(self, segment_id: int) -> Segment:
        return corpus.get_segment(self.db.connection(), segment_id)

    def segments(self, *, offset: int = 0, limit: int = 100, status: str | None = None,
                 split: str | None = None, search: str | None = None) -> list[Segment]:
        return corpus.list_segments(self.db.connection(), offset=offset, limit=limit,
                                    status=status, split=split, search=search)

    def count_segments(self, *, status: str | None = None, split: str | None = None,
                       search: str | None = None) -> int:
        return corpus.count_segments(self.db.connection(), status=status, split=split,
                                     search=search)

    def document_text(self, document_id: int) -> str:
        r = self.db.connection().execute("SELECT text FROM documents WHERE id = ?",
                                         (document_id,)).fetchone()
        if r is None:
            raise StoreError(f"no document {document_id}")
        return str(r[0])

    def neighbours(self, segment_id: int, before: int = 1, after: int = 1) -> list[Segment]:
        """The segment with up to ``before``/``after`` neighbours of the same document."""
        seg = self.segment(segment_id)
        rows = self.db.connection().execute(
            "SELECT id FROM segments WHERE document_id = ? AND position BETWEEN ? AND ?"
            " ORDER BY position", (seg.document_id, seg.position - before,
                                   seg.position + after)).fetchall()
        return [self.segment(r[0]) for r in rows]

    # -- backups -----------------------------------------------------------------------------------
    def backup(self, reason: str = "manual") -> Path:
        return backups.make_backup(self.db, self.path, reason)

    def list_backups(self) -> list[Path]:
        return backups.list_backups(self.path)

    @staticmethod
    def restore(path: str | Path, backup: str | Path) -> None:
        """Restore a closed project's database from ``backup`` (takes the lock meanwhile)."""
        folder = resolve_project_path(path)
        lock = ProjectLock(folder)
        lock.acquire()
        try:
            backups.restore_backup(folder, Path(backup))
        finally:
            lock.release()

    # -- jobs (each has the shape fn(..., *, on_event, cancel) -> Result) ----------------------
    def train(self, config: TrainConfig | None = None, *, on_event: EventCallback | None = None,
              cancel: CancelToken | None = None) -> TrainResult:
        """Fine-tune on the labelled segments and register the new version as active.

        Reports TrainEvent; raises Cancelled (nothing written), TrainingError, ModelLoadError.
        """
        from engine.training import train

        return train(self, config, on_event=on_event, cancel=cancel)

    def evaluate(self, version: str | None = None, data: str | Path | None = None, *,
                 cancel: CancelToken | None = None) -> dict[str, Any]:
        """Entity-level P/R/F1 (micro and per label) on the eval split or a gold file."""
        from engine.training import evaluate

        return evaluate(self, version, data, cancel=cancel)

    def export_model(self, out: str | Path, *, version: str | None = None,
                     quantize: bool = True, overwrite: bool = False,
                     on_event: EventCallback | None = None,
                     cancel: CancelToken | None = None) -> ExportResult:
        """Export a version (default: the active one) as a validated ONNX folder at ``out``.

        Raises ValidationError when there is no model, ExportValidationError, Cancelled.
        """
        from engine.export.exporter import export_model

        chosen = self.versions.get(version) if version else self.versions.active()
        if chosen is None:
            raise ValidationError("the project has no trained model yet; train one first",
                                  field="version")
        return export_model(Path(chosen.path), Path(out), quantize=quantize,
                            overwrite=overwrite, on_event=on_event, cancel=cancel)

    def rescore(self, version: str | None = None, strategy: str | None = None, *,
                on_event: EventCallback | None = None,
                cancel: CancelToken | None = None) -> RescoreResult:
        """Score the unlabelled pool with a version's int8 model; store scores and suggestions.

        Without any model, computes the cold-start (diverse) order instead.
        """
        from engine.active_learning import cold_start, rescore

        if version is None and self.versions.active() is None:
            return cold_start(self, on_event=on_event, cancel=cancel)
        return rescore(self, version, strategy, on_event=on_event, cancel=cancel)

    def cold_start(self, *, on_event: EventCallback | None = None,
                   cancel: CancelToken | None = None) -> RescoreResult:
        """Order the queue before any model exists: a diverse first sample over the corpus
        (sentence embeddings of the base encoder), the rest at random; eval share mixed in."""
        from engine.active_learning import cold_start

        return cold_start(self, on_event=on_event, cancel=cancel)

    @staticmethod
    def strategy_names() -> list[str]:
        """The registered active-learning strategies (valid values of the ``strategy`` setting)."""
        from engine.active_learning import strategy_names

        return strategy_names()

    def next_segments(self, n: int = 10, strategy: str | None = None) -> list[QueueItem]:
        """The next segments to label, in queue order (eval share mixed in at random)."""
        from engine.active_learning import next_segments

        return next_segments(self, n, strategy)

    def queue_page(self, offset: int = 0, limit: int = 100, *, status: str | None = None,
                   search: str | None = None, strategy: str | None = None,
                   after: float | None = None) -> list[QueueItem]:
        """One page of the queue in active-learning order (for lazy lists).

        ``after`` is a cursor: the ``priority`` of the last item already loaded (with ``offset``
        0); deep pages then cost what the first page costs instead of growing with the offset.
        """
        from engine.active_learning import queue_page

        return queue_page(self, offset, limit, status=status, search=search, strategy=strategy,
                          after=after)


def load_predictor(folder: str | Path, *, quantized: bool = True,
                   threads: int | None = None) -> Predictor:
    """A torch-free predictor over an exported model folder."""
    from engine.inference.predictor import Predictor

    return Predictor(folder, quantized=quantized, threads=threads)


def simulate(train_file: str | Path, test_file: str | Path, strategies: Sequence[str],
             seeds: int, seed_size: int, batch_size: int, rounds: int, out_dir: str | Path,
             *, pool_size: int | None = None, max_minutes: float | None = None,
             base_model: str | None = None, on_event: EventCallback | None = None,
             cancel: CancelToken | None = None) -> SimulationResult:
    """Simulate active learning on a fully labelled file (see engine.active_learning.simulate)."""
    from engine.active_learning.simulate import simulate as run

    return run(train_file, test_file, strategies, seeds, seed_size, batch_size, rounds, out_dir,
               pool_size=pool_size, max_minutes=max_minutes, base_model=base_model,
               on_event=on_event, cancel=cancel)
