"""The Project facade: the only surface the desktop app and the CLI use.

A project is a folder ``NAME.spantune/`` holding ``project.sqlite``, ``models/`` (one folder per
trained version), ``exports/`` and ``backups/``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.catalog import (
    demo_labels,
    detect_format,
    device_choices,
    open_demo_project,
    read_file,
    readers,
    resource_path,
    split_rules,
    strategy_names,
    train_config,
    writers,
)
from engine.errors import (
    CorruptDatabaseError,
    ProjectExistsError,
    ProjectNotFoundError,
    ValidationError,
)
from engine.progress import CancelToken, EventCallback, ProgressEvent, check, emit
from engine.settings import DEFAULT_SETTINGS, check_setting
from engine.store import backups, corpus, lifecycle, split
from engine.store.annotations import AnnotationStore
from engine.store.database import Database, integrity_problem
from engine.store.labels import LabelStore, add_label
from engine.store.lock import ProjectLock
from engine.store.schema import create_schema
from engine.store.settings import insert_settings, read_setting, write_settings
from engine.store.versions import VersionStore
from engine.text.snap import SNAP_MODES, snap_span, word_ranges
from engine.types import ImportReport, ModelVersion, Segment

if TYPE_CHECKING:
    from engine.active_learning import QueueItem, RescoreResult
    from engine.active_learning.simulate import SimulationResult
    from engine.export.exporter import ExportResult
    from engine.inference.predictor import Predictor
    from engine.store.occurrences import LabelAllResult, Occurrence
    from engine.text.matcher import LabelledPattern
    from engine.training import TrainConfig, TrainResult
    from engine.training.review import ReviewResult

# What the desktop needs besides the facade is re-exported here: it imports only engine.api,
# engine.types, engine.errors and engine.progress (tests/engine/test_architecture.py).
__all__ = [
    "DB_NAME",
    "DEFAULT_SETTINGS",
    "SNAP_MODES",
    "SUFFIX",
    "Project",
    "check_setting",
    "demo_labels",
    "detect_format",
    "load_predictor",
    "preload_libraries",
    "open_demo_project",
    "read_file",
    "readers",
    "resolve_project_path",
    "resource_path",
    "simulate",
    "snap_span",
    "strategy_names",
    "train_config",
    "writers",
    "device_choices",
    "split_rules",
    "describe_score",
    "word_ranges",
]

log = logging.getLogger(__name__)

SUFFIX = ".spantune"
DB_NAME = "project.sqlite"


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
        #: what opening found and did that the person should hear about (one line each)
        self.notices: list[str] = []
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
    def create(
        cls, path: str | Path, labels: Sequence[str] = (), *, settings: dict[str, Any] | None = None
    ) -> Project:
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
                insert_settings(conn, {**DEFAULT_SETTINGS, **(settings or {})})
                for name in labels:
                    add_label(conn, name)
            db.leave_wal()
        finally:
            db.close()
        tmp.replace(folder / DB_NAME)
        return cls.open(folder)

    @classmethod
    def open(
        cls, path: str | Path, *, read_only: bool = False, max_pages: int | None = None
    ) -> Project:
        """Open a project: lock, integrity check, migrations, clean-up of unfinished writes.

        A write-open repairs what killed processes left (see ``lifecycle.tidy_on_open``) and
        puts what the person should hear about in :attr:`notices` (a failed scheduled backup
        never stops the project from opening).

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
            if not read_only:  # notices: versions registered again, a failed scheduled backup
                project.notices = lifecycle.tidy_on_open(
                    db, folder, float(project.setting("backup_interval_hours"))
                )
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
        with self.db.read() as conn:
            try:
                return read_setting(conn, key)
            except KeyError:
                pass
        if key not in DEFAULT_SETTINGS:
            raise ValidationError(
                f"unknown setting {key!r}; known: {', '.join(DEFAULT_SETTINGS)}", field=key
            )
        return DEFAULT_SETTINGS[key]

    def set_setting(self, key: str, value: Any) -> None:
        """Store one project setting after checking it (:class:`ValidationError` names the key)."""
        self.set_settings({key: value})

    def set_settings(self, values: dict[str, Any]) -> None:
        """Check every value, then store them all in one transaction (all or nothing)."""
        checked = {key: check_setting(key, value) for key, value in values.items()}
        with self.db.write() as conn:
            write_settings(conn, checked)

    # -- import / export -------------------------------------------------------------------------
    def import_files(
        self,
        paths: Iterable[str | Path],
        fmt: str | None = None,
        *,
        segment: str = "sentences",
        as_suggestions: bool = False,
        update: bool = False,
        options: dict[str, Any] | None = None,
        on_event: EventCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> ImportReport:
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
            had_segments = corpus.has_segments(conn)
            importer = DocumentImporter(
                conn,
                mode=segment,
                as_suggestions=as_suggestions,
                eval_share=float(self.setting("eval_share")),
                seed=int(self.setting("seed")),
                update=update,
            )
            for i, (path, ctx, docs) in enumerate(opened):
                for n, doc in enumerate(docs):
                    if n % 1000 == 0:
                        check(cancel)
                    importer.add(doc, str(path))
                warnings += ctx.warnings()
                emit(on_event, ProgressEvent("store", i + 1, len(files), str(path)))
            split.apply_split(conn, keep_legacy=had_segments)
        c = importer.counts
        if c.segments and self.patterns():  # stored patterns also suggest on new text
            self.apply_patterns()
        return ImportReport(
            files=len(files),
            documents=c.documents,
            segments=c.segments,
            spans=c.spans,
            duplicates=c.duplicates,
            new_labels=tuple(c.new_labels),
            as_suggestions=as_suggestions,
            warnings=tuple(warnings),
            suggestions=c.suggestions,
            rejections=c.rejections,
            merged=c.merged,
            updated=c.updated,
            backup=backup,
        )

    def export(self, out: str | Path, fmt: str, *, only_labelled: bool = False) -> int:
        """Write the project's documents and accepted spans to ``out`` (atomic replace)."""
        from engine.formats import write_file

        with self.db.read() as conn:
            docs = corpus.documents_for_export(conn, only_labelled=only_labelled)
        labels = [lab.name for lab in self.labels.get_all()]
        return write_file(docs, Path(out), fmt, labels=labels)

    # -- reading -----------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        with self.db.read() as conn:
            out = corpus.stats(conn)
        active = self.versions.active()
        out["suggestions_by_source"] = self.suggestions_by_source()
        out["active_version"] = active.name if active else None
        out["versions"] = len(self.versions.get_all())
        return out

    def segment(self, segment_id: int) -> Segment:
        with self.db.read() as conn:
            return corpus.get_segment(conn, segment_id)

    def segments(
        self,
        *,
        offset: int = 0,
        limit: int = 100,
        status: str | None = None,
        split: str | None = None,
        search: str | None = None,
    ) -> list[Segment]:
        with self.db.read() as conn:
            return corpus.list_segments(
                conn, offset=offset, limit=limit, status=status, split=split, search=search
            )

    def count_segments(
        self, *, status: str | None = None, split: str | None = None, search: str | None = None
    ) -> int:
        with self.db.read() as conn:
            return corpus.count_segments(conn, status=status, split=split, search=search)

    def document_text(self, document_id: int) -> str:
        with self.db.read() as conn:
            return corpus.document_text(conn, document_id)

    def neighbours(self, segment_id: int, before: int = 1, after: int = 1) -> list[Segment]:
        """The segment with up to ``before``/``after`` neighbours of the same document."""
        with self.db.read() as conn:
            return corpus.neighbours(conn, self.segment(segment_id), before, after)

    # -- label faster: label all, patterns, review (engine.store.occurrences/patterns) -------
    def find_occurrences(
        self, text: str, *, ignore_case: bool = False, label: str | None = None
    ) -> list[Occurrence]:
        """Whole-word, token-aligned occurrences of ``text`` in every segment."""
        from engine.store.occurrences import find_occurrences

        with self.db.read() as conn:
            return find_occurrences(conn, text, ignore_case=ignore_case, label=label)

    def label_all(
        self,
        text: str,
        label: str,
        *,
        ignore_case: bool = False,
        mark_labelled: bool = False,
        segment_ids: Sequence[int] | None = None,
    ) -> LabelAllResult:
        """Label every free occurrence of ``text`` as ``label`` in one transaction; matches
        overlapping a span are skipped and counted. Statuses stay unless ``mark_labelled``."""
        from engine.store.occurrences import label_occurrences

        with self.db.write() as conn:
            return label_occurrences(
                conn,
                text,
                label,
                ignore_case=ignore_case,
                mark_labelled=mark_labelled,
                segment_ids=segment_ids,
            )

    def undo_label_all(self, result: LabelAllResult) -> None:
        from engine.store.occurrences import remove_spans

        with self.db.write() as conn:
            remove_spans(conn, result.spans, result.old_statuses, result.removed_suggestions)

    def redo_label_all(self, result: LabelAllResult) -> None:
        from engine.store.occurrences import restore_spans

        with self.db.write() as conn:
            restore_spans(
                conn, result.spans, [s for s, _ in result.old_statuses], result.removed_suggestions
            )

    def patterns(self) -> list[LabelledPattern]:
        from engine.store.patterns import list_patterns

        with self.db.read() as conn:
            return list_patterns(conn)

    def add_patterns(self, patterns: Sequence[LabelledPattern]) -> tuple[int, int]:
        """Store patterns (unknown labels added) and re-apply all of them as suggestions;
        ``(new patterns, pattern suggestions)``."""
        from engine.store.patterns import add_patterns, apply_patterns

        with self.db.write() as conn:
            return add_patterns(conn, patterns), apply_patterns(conn)

    def remove_patterns(self, ids: Sequence[int]) -> int:
        """Delete patterns by id and re-apply the rest; returns the pattern suggestions left."""
        from engine.store.patterns import apply_patterns, remove_patterns

        with self.db.write() as conn:
            remove_patterns(conn, ids)
            return apply_patterns(conn)

    def apply_patterns(self) -> int:
        from engine.store.patterns import apply_patterns

        with self.db.write() as conn:
            return apply_patterns(conn)

    def suggestions_by_source(self) -> dict[str, int]:
        from engine.store.patterns import suggestions_by_source

        with self.db.read() as conn:
            return suggestions_by_source(conn)

    def review(
        self,
        folds: int = 5,
        config: TrainConfig | None = None,
        *,
        on_event: EventCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> ReviewResult:
        """Rank labelled segments by how likely their stored spans are wrong (K-fold models;
        see engine.training.review). Reports TrainEvent/ProgressEvent; raises Cancelled."""
        from engine.training.review import review

        return review(self, folds, config, on_event=on_event, cancel=cancel)

    def review_items(self, *, pending_only: bool = True) -> list[dict[str, Any]]:
        """The last review's items still to look at (all of them with ``pending_only`` False;
        see engine.training.review)."""
        from engine.training.review import pending_review

        return pending_review(self, pending_only)

    def resplit(self, rule: str | None = None) -> dict[str, Any]:
        """Re-apply the eval split (``rule`` or the ``split`` setting) to every segment.

        Returns the rule used and how many segments (labelled ones too) changed side; models
        trained before may have trained on segments that are now held out: retrain.
        """
        if rule is not None:
            rule = check_setting("split", rule)
        with self.db.write() as conn:
            return split.apply_split(conn, rule=rule).to_dict()

    # -- backups -----------------------------------------------------------------------------------
    def backup(self, reason: str = "manual") -> Path:
        """Back up the database now (works read-only, beside another Spantune writing it).

        Raises DiskFullError / StoreError naming the file that could not be written."""
        return backups.make_backup(self.db, self.path, reason)

    def list_backups(self) -> list[Path]:
        return backups.list_backups(self.path)

    @staticmethod
    def restore(path: str | Path, backup: str | Path) -> Path | None:
        """Restore a closed project's database from ``backup`` (takes the lock meanwhile).

        The current database is backed up first (``…-pre-restore``; returned). Raises
        ProjectLockedError when another Spantune has the project open.
        """
        folder = resolve_project_path(path)
        lock = ProjectLock(folder)
        lock.acquire(
            hint="close it there first: a restore needs the project closed (a backup does not)"
        )
        try:
            return backups.restore_backup(folder, Path(backup))
        finally:
            lock.release()

    # -- jobs (each has the shape fn(..., *, on_event, cancel) -> Result) ----------------------
    def train(
        self,
        config: TrainConfig | None = None,
        *,
        on_event: EventCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> TrainResult:
        """Fine-tune on the labelled segments and register the new version as active.

        Reports TrainEvent; raises Cancelled (nothing written), TrainingError, ModelLoadError.
        """
        from engine.training import train

        fingerprint = self.versions.labelled_fingerprint()
        result = train(self, config, on_event=on_event, cancel=cancel)
        if result.version is not None:
            self.versions.record_fingerprint(result.version, fingerprint)
            self.versions.prune_weights(int(self.setting("keep_weights")))
        return result

    def nothing_new_to_learn(self) -> bool:
        """True when the active version was trained on exactly the labels there are now."""
        active = self.versions.active()
        return (
            active is not None
            and self.versions.fingerprint(active.name) == self.versions.labelled_fingerprint()
        )

    def evaluate(
        self,
        version: str | None = None,
        data: str | Path | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> dict[str, Any]:
        """Entity-level P/R/F1 (micro and per label) on the eval split or a gold file."""
        from engine.training import evaluate

        return evaluate(self, version, data, cancel=cancel)

    def export_model(
        self,
        out: str | Path,
        *,
        version: str | None = None,
        quantize: bool = True,
        overwrite: bool = False,
        on_event: EventCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> ExportResult:
        """Export a version (default: the active one) as a validated ONNX folder at ``out``.

        Raises ValidationError when there is no model, ExportValidationError, Cancelled.
        """
        from engine.export.exporter import export_model

        chosen = self.versions.get(version) if version else self.versions.active()
        if chosen is None:
            raise ValidationError(
                "the project has no trained model yet; train one first", field="version"
            )
        return export_model(
            Path(chosen.path),
            Path(out),
            quantize=quantize,
            overwrite=overwrite,
            sample_texts=self.export_samples(),
            on_event=on_event,
            cancel=cancel,
        )

    def export_samples(self, n: int = 256) -> list[str]:
        """Up to ``n`` segments, spread out, to measure int8 against fp32 on: the eval split
        first, filled up with other segments when it has fewer."""
        with self.db.read() as conn:
            check = split.sample_texts(conn, n, "eval")
            if len(check) < n:  # a small or one-sided project
                seen = set(check)
                check += [t for t in split.sample_texts(conn, 2 * n) if t not in seen]
        return check[:n]

    def rescore(
        self,
        version: str | None = None,
        strategy: str | None = None,
        *,
        on_event: EventCallback | None = None,
        cancel: CancelToken | None = None,
        ray: str | None = None,
        workers: int | None = None,
    ) -> RescoreResult:
        """Score the unlabelled pool with a version's int8 model; store scores and suggestions.

        Without any model, computes the cold-start (diverse) order instead. ``ray`` (a
        cluster address or ``"local"``; ``"off"`` scores here; default: the project's ``ray``
        setting, used once a model exists) scores on Ray actors (``workers`` of them); the
        queue is the same. Raises ValidationError when Ray is asked for but not installed.
        """
        from engine.active_learning import cold_start, rescore

        has_model = version is not None or self.versions.active() is not None
        if ray is None and has_model:
            ray = str(self.setting("ray"))
        if ray not in (None, "off"):
            from engine.active_learning.ray_rescore import ray_rescore

            return ray_rescore(
                self, ray, version, strategy, workers=workers, on_event=on_event, cancel=cancel
            )

        if not has_model:
            return cold_start(self, on_event=on_event, cancel=cancel)
        return rescore(self, version, strategy, on_event=on_event, cancel=cancel)

    def cold_start(
        self, *, on_event: EventCallback | None = None, cancel: CancelToken | None = None
    ) -> RescoreResult:
        """Order the queue before any model exists: a diverse first sample over the corpus
        (sentence embeddings of the base encoder), the rest at random; eval share mixed in."""
        from engine.active_learning import cold_start

        return cold_start(self, on_event=on_event, cancel=cancel)

    def write_bundle(self, out: str | Path, config: TrainConfig | None = None) -> Path:
        """Write a training bundle (labelled examples, split, resolved config, labels, base
        model) to the new folder ``out``, to train elsewhere with ``train_bundle``.

        Raises ValidationError (``out`` not empty), TrainingError (nothing labelled),
        ModelLoadError (base model unusable).
        """
        from engine.training.bundle import write_bundle

        return write_bundle(self, out, config)

    def import_version(self, folder: str | Path, *, activate: bool = True) -> ModelVersion:
        """Validate a version folder trained elsewhere and register (and activate) a copy.

        Raises ModelLoadError (pickles, missing files, bad weights), ValidationError (label
        set differs from the project's).
        """
        from engine.training.version_import import import_version

        return import_version(self, folder, activate=activate)

    @staticmethod
    def strategy_names() -> list[str]:
        """The registered active-learning strategies (valid values of the ``strategy`` setting)."""
        return strategy_names()

    def next_segments(self, n: int = 10, strategy: str | None = None) -> list[QueueItem]:
        """The next segments to label, in queue order (eval share mixed in at random)."""
        from engine.active_learning import next_segments

        return next_segments(self, n, strategy)

    def queue_page(
        self,
        offset: int = 0,
        limit: int = 100,
        *,
        status: str | None = None,
        search: str | None = None,
        strategy: str | None = None,
        after: float | None = None,
    ) -> list[QueueItem]:
        """One page of the queue in active-learning order (for lazy lists).

        ``after`` is a cursor: the ``priority`` of the last item already loaded (with ``offset``
        0); deep pages then cost what the first page costs instead of growing with the offset.
        """
        from engine.active_learning import queue_page

        with self.db.read():  # one snapshot; a sqlite3 error becomes a StoreError
            return queue_page(
                self, offset, limit, status=status, search=search, strategy=strategy, after=after
            )


def read_patterns(path: str | Path, label: str | None = None) -> list[LabelledPattern]:
    """Patterns from spaCy/Prodigy pattern JSONL, or a term list (one a line) for ``label``.
    Raises FormatError (file and line)."""
    from engine.text.matcher import read_pattern_file

    return read_pattern_file(path, label)


def describe_score(metrics: dict[str, Any]) -> str:
    """A held-out score as people read it: ``0.71 (0.64–0.77) on 45 sentences from 3
    documents`` (interval and grouping when the metrics carry them)."""
    from engine.training.bootstrap import describe

    return describe(metrics)


def preload_libraries(stage: str, cancel: CancelToken | None = None) -> dict[str, float]:
    """Import the model libraries ahead of the first job (see :mod:`engine.preload`):
    ``stage`` is ``"before-window"`` or ``"background"`` (which then freezes the objects alive,
    see :func:`engine.preload.settle`). Returns seconds per module."""
    from engine import preload

    names = {"before-window": preload.BEFORE_WINDOW, "background": preload.IN_BACKGROUND}
    if stage not in names:
        raise ValueError(f"stage must be one of {sorted(names)}, not {stage!r}")
    seconds = preload.preload(names[stage], cancel)
    if stage == "background" and not (cancel is not None and cancel.cancelled):
        preload.settle()
    return seconds


def load_predictor(
    folder: str | Path, *, quantized: bool = True, threads: int | None = None
) -> Predictor:
    """A torch-free predictor over an exported model folder."""
    from engine.inference.predictor import Predictor

    return Predictor(folder, quantized=quantized, threads=threads)


def simulate(
    train_file: str | Path,
    test_file: str | Path,
    strategies: Sequence[str],
    seeds: int,
    seed_size: int,
    batch_size: int,
    rounds: int,
    out_dir: str | Path,
    *,
    pool_size: int | None = None,
    max_minutes: float | None = None,
    base_model: str | None = None,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
) -> SimulationResult:
    """Simulate active learning on a fully labelled file (see engine.active_learning.simulate)."""
    from engine.active_learning.simulate import simulate as run

    return run(
        train_file,
        test_file,
        strategies,
        seeds,
        seed_size,
        batch_size,
        rounds,
        out_dir,
        pool_size=pool_size,
        max_minutes=max_minutes,
        base_model=base_model,
        on_event=on_event,
        cancel=cancel,
    )
