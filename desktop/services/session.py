"""The session: the open project, its undo stack and its jobs (one at a time).

Views never touch the database: they call the session, which writes through ``engine.api`` (edits
as undo commands) and emits what changed. Long operations run as jobs on the job thread.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from desktop.services.job_runner import JobRunner
from desktop.services.jobs import DEFAULT_JOBS, ImportOutcome, JobFn
from desktop.services.preloader import Preloader
from desktop.services.undo import (
    WRITE_ERRORS,
    AcceptSuggestionsCommand,
    AddSpanCommand,
    EditCommand,
    RejectSuggestionsCommand,
    RemoveSpanCommand,
    SetStatusCommand,
    UpdateSpanCommand,
)
from engine.api import Project, snap_span
from engine.errors import ConflictError, ReadOnlyProjectError
from engine.types import Suggestion

if TYPE_CHECKING:
    from engine.api import TrainResult

log = logging.getLogger(__name__)
Then = Callable[[Any], None]


class Session(QObject):
    project_opened = Signal(object)
    project_closing = Signal()  # views stop reading from the project now
    project_closed = Signal()
    segment_changed = Signal(int)
    labels_changed = Signal()
    versions_changed = Signal()
    queue_changed = Signal()
    changes_saved = Signal()
    write_failed = Signal(object)
    notice_posted = Signal(str)
    job_started = Signal(str)
    job_progressed = Signal(str, object)
    job_finished = Signal(str, object)
    job_failed = Signal(str, object)
    job_cancelled = Signal(str)

    def __init__(
        self, jobs: Mapping[str, JobFn] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._project: Project | None = None
        self._jobs: dict[str, JobFn] = {**DEFAULT_JOBS, **(jobs or {})}
        self._then: Then | None = None
        #: what an earlier step of the running request already kept ("v0003 is trained and
        #: active"): a cancel of the step that follows must not claim nothing changed
        self.kept_note: str | None = None
        self.undo_stack = QUndoStack(self)
        self.runner = JobRunner(self)
        self.runner.job_started.connect(self.job_started)
        self.runner.job_progressed.connect(self.job_progressed)
        self.runner.job_finished.connect(self._on_runner_job_finished)
        self.runner.job_failed.connect(self._on_runner_job_failed)
        self.runner.job_cancelled.connect(self._on_runner_job_cancelled)
        #: imports torch, transformers, onnx… ahead of the first job (started by the app)
        self.preloader = Preloader(self)

    # -- project lifecycle -----------------------------------------------------------------------
    @property
    def project(self) -> Project | None:
        return self._project

    @property
    def read_only(self) -> bool:
        return self._project is not None and self._project.read_only

    def open_project(self, path: str | Path, *, read_only: bool = False) -> Project:
        """Open ``path`` (raises ProjectLockedError, CorruptDatabaseError… to the caller)."""
        project = Project.open(path, read_only=read_only)
        self.adopt(project)
        return project

    def create_project(
        self, path: str | Path, labels: Sequence[str], settings: Mapping[str, Any] | None = None
    ) -> Project:
        project = Project.create(path, labels, settings=dict(settings or {}))
        self.adopt(project)
        return project

    def open_demo(self, folder: str | Path | None = None) -> Project:
        from engine.api import open_demo_project

        project = open_demo_project(folder)
        self.adopt(project)
        return project

    def adopt(self, project: Project) -> None:
        """Make ``project`` the open one (closing the previous)."""
        self.close_project()
        self._project = project
        self.project_opened.emit(project)

    def backup(self) -> Path:
        """Back up the open project now (read-only too); raises StoreError / DiskFullError."""
        if self._project is None:
            raise ConflictError("no project is open")
        path = self._project.backup("manual")
        self.notice_posted.emit(f"Backed up to {path}")
        return path

    def close_project(self) -> None:
        if self._project is None:
            return
        self.runner.cancel()
        self.runner.wait_idle()
        self.project_closing.emit()
        self.undo_stack.clear()
        project, self._project = self._project, None
        project.close()
        self.project_closed.emit()

    def require_project(self) -> Project:
        """The open project (EngineError when none is open)."""
        return self._require()

    def save_settings(self, values: Mapping[str, Any]) -> None:
        """Store checked project settings in one transaction (raises what a write raises).

        A new strategy applies to the queue at once (scores stored for it are used) and, when a
        model is active, the queue is rescored with it.
        """
        project = self._require()
        project.set_settings(dict(values))
        if "strategy" in values:
            self.queue_changed.emit()
            if project.versions.active() is not None:
                self.start_job("rescore", then=lambda _r: self.queue_changed.emit())

    def shutdown(self) -> None:
        """Stop any job and close the project; call once when the app quits."""
        self.runner.cancel()
        self.preloader.shutdown()
        self.runner.shutdown()
        self.close_project()

    # -- edits (undoable) -------------------------------------------------------------------------
    def push(self, command: EditCommand) -> bool:
        """Write ``command`` now; push it on the undo stack only when the write succeeded."""
        if self._project is None:
            return False
        if self._project.read_only:
            self.report_write_failure(
                ReadOnlyProjectError("the project is open read-only; nothing was changed")
            )
            return False
        try:
            command.apply()
        except WRITE_ERRORS as exc:
            self.report_write_failure(exc)
            return False
        self.undo_stack.push(command)
        self.changes_saved.emit()
        return True

    def snap(self, segment_id: int, start: int, end: int) -> tuple[int, int] | None:
        """``start``/``end`` snapped to word boundaries inside the segment (project's mode)."""
        project = self._require()
        seg = project.segment(segment_id)
        start, end = max(start, seg.start), min(end, seg.end)
        if start >= end:
            return None
        snapped = snap_span(
            seg.text, start - seg.start, end - seg.start, str(project.setting("snap_mode"))
        )
        return None if snapped is None else (snapped[0] + seg.start, snapped[1] + seg.start)

    def add_span(self, segment_id: int, start: int, end: int, label: str) -> bool:
        snapped = self.snap(segment_id, start, end)
        if snapped is None:
            self.notice_posted.emit("Nothing to label there: select at least one word.")
            return False
        return self.push(AddSpanCommand(self, segment_id, *snapped, label))

    def remove_span(self, span_id: int) -> bool:
        return self._span_command(span_id, lambda span: RemoveSpanCommand(self, span))

    def relabel_span(self, span_id: int, label: str) -> bool:
        return self._span_command(
            span_id,
            lambda s: UpdateSpanCommand(
                self, s, (s.start, s.end, label), f"Relabel {s.label} → {label}"
            ),
        )

    def resize_span(self, span_id: int, start: int, end: int) -> bool:
        span = self._require().annotations.get_span(span_id)
        snapped = self.snap(span.segment_id, start, end)
        if snapped is None or snapped == (span.start, span.end):
            self.segment_changed.emit(span.segment_id)  # redraw the span where it was
            return False
        return self.push(
            UpdateSpanCommand(self, span, (*snapped, span.label), f"Resize {span.label}")
        )

    def accept_suggestions(self, segment_id: int, ids: Sequence[int] | None = None) -> bool:
        """Accept the given suggestions (all of the segment when None), skipping any that would
        overlap a span or a better-scored suggestion."""
        chosen = self._non_overlapping(segment_id, self._suggestions(segment_id, ids))
        if not chosen:
            return False
        return self.push(AcceptSuggestionsCommand(self, segment_id, chosen))

    def reject_suggestions(self, segment_id: int, ids: Sequence[int] | None = None) -> bool:
        chosen = self._suggestions(segment_id, ids)
        if not chosen:
            return False
        return self.push(RejectSuggestionsCommand(self, segment_id, chosen))

    def set_status(self, segment_id: int, status: str) -> bool:
        before = self._require().segment(segment_id).status
        if before == status:
            return True
        return self.push(SetStatusCommand(self, segment_id, before, status))

    # -- labels (not undoable: they change many spans at once) ------------------------------------
    def label_usage(self, name: str) -> int:
        return self._require().labels.usage(name)

    def change_labels(self, action: str, *args: Any) -> bool:
        """Run ``project.labels.<action>(*args)``: add, rename, set_color, set_hotkey, reorder,
        remove. Renames and removals clear the undo history (its commands name labels)."""
        project = self._require()
        if project.read_only:
            self.report_write_failure(ReadOnlyProjectError("the project is open read-only"))
            return False
        try:
            getattr(project.labels, action)(*args)
        except WRITE_ERRORS as exc:
            self.report_write_failure(exc)
            return False
        if action in ("rename", "remove"):
            self.undo_stack.clear()
        self.labels_changed.emit()
        self.changes_saved.emit()
        return True

    def activate_version(self, name: str) -> bool:
        try:
            self._require().versions.activate(name)
        except WRITE_ERRORS as exc:
            self.report_write_failure(exc)
            return False
        self.versions_changed.emit()
        self.queue_changed.emit()
        return True

    def delete_version(self, name: str) -> bool:
        """Delete a version's row and folder (its scores too); the active one is refused."""
        project = self._require()
        try:
            if project.read_only:
                raise ReadOnlyProjectError("the project is open read-only")
            if project.versions.get(name).active:
                raise ConflictError(f"{name} is the active version: activate another first")
            project.versions.delete(name)
        except WRITE_ERRORS as exc:
            self.report_write_failure(exc)
            return False
        self.versions_changed.emit()
        self.notice_posted.emit(f"Deleted {name}.")
        return True

    # -- jobs ------------------------------------------------------------------------------------
    @property
    def job_running(self) -> str | None:
        return self.runner.current

    def start_job(self, name: str, *, then: Then | None = None, **kwargs: Any) -> bool:
        """Start job ``name`` with ``kwargs``; ``then(result)`` runs when it succeeds."""
        project = self._require()
        if self.runner.busy:
            self.notice_posted.emit(f"Wait for {self.runner.current} to finish (or cancel it).")
            return False
        self._then = then
        if name != "rescore":
            self.kept_note = None
        return self.runner.start(name, functools.partial(self._jobs[name], project, **kwargs))

    def cancel_job(self) -> None:
        self.runner.cancel()

    def retrain(self, config: Mapping[str, Any] | None = None) -> bool:
        """Train a new version; when it succeeds, activate it and rescore the queue."""
        return self.start_job("train", then=self._on_trained, config=config)

    def import_version(self, folder: str | Path) -> bool:
        """Import a version folder trained elsewhere; when it is registered, rescore."""
        return self.start_job("import_version", then=self._on_version_imported, folder=str(folder))

    def import_files(
        self, paths: Sequence[str | Path], fmt: str | None, segment: str, as_suggestions: bool
    ) -> bool:
        """Import; then order the queue (the cold-start order while there is no model)."""
        return self.start_job(
            "import",
            then=self._on_imported,
            paths=list(paths),
            fmt=fmt,
            segment=segment,
            as_suggestions=as_suggestions,
        )

    def _on_imported(self, result: ImportOutcome) -> None:
        self._on_data_changed(result)
        if result.segments and self._project is not None and not self._project.read_only:
            self.start_job(
                "cold_start" if self._project.versions.active() is None else "rescore",
                then=self._on_data_changed,
            )

    def _on_trained(self, result: TrainResult) -> None:
        name = result.version
        project = self._require()
        if name is not None:
            active = project.versions.active()
            if active is None or active.name != name:
                project.versions.activate(name)
        self.versions_changed.emit()
        self.kept_note = f"{name} is trained and active" if isinstance(name, str) else None
        self.start_job("rescore", then=self._on_rescored_after_training)

    def _on_version_imported(self, version: Any) -> None:
        """A version trained elsewhere is registered and active: rescore with it."""
        self.versions_changed.emit()
        self.kept_note = f"{version.name} is imported and active"
        self.start_job("rescore", then=self._on_rescored_after_training)

    def _on_rescored_after_training(self, result: Any) -> None:
        self.kept_note = None
        self._on_data_changed(result)

    def _on_data_changed(self, _result: Any) -> None:
        self.labels_changed.emit()
        self.queue_changed.emit()

    def _on_runner_job_finished(self, name: str, result: object) -> None:
        then, self._then = self._then, None
        self.job_finished.emit(name, result)
        if then is not None and self._project is not None:
            try:
                then(result)
            except WRITE_ERRORS as exc:
                self.job_failed.emit(name, exc)

    def _on_runner_job_failed(self, name: str, error: object) -> None:
        self._then = None
        self.job_failed.emit(name, error)
        self.kept_note = None

    def _on_runner_job_cancelled(self, name: str) -> None:
        self._then = None
        self.job_cancelled.emit(name)
        self.kept_note = None

    # -- EditSink --------------------------------------------------------------------------------
    def notify_segment(self, segment_id: int) -> None:
        self.segment_changed.emit(segment_id)

    def report_write_failure(self, error: BaseException) -> None:
        log.warning("write failed: %s", error)
        self.write_failed.emit(error)

    # -- helpers ----------------------------------------------------------------------------------
    def _require(self) -> Project:
        if self._project is None:
            raise ConflictError("no project is open")
        return self._project

    def _span_command(self, span_id: int, make: Callable[[Any], EditCommand]) -> bool:
        try:
            span = self._require().annotations.get_span(span_id)
        except WRITE_ERRORS as exc:
            self.report_write_failure(exc)
            return False
        return self.push(make(span))

    def _suggestions(self, segment_id: int, ids: Sequence[int] | None) -> list[Suggestion]:
        all_sugs = self._require().annotations.suggestions(segment_id)
        return all_sugs if ids is None else [s for s in all_sugs if s.id in set(ids)]

    def _non_overlapping(self, segment_id: int, sugs: list[Suggestion]) -> list[Suggestion]:
        taken = [(s.start, s.end) for s in self._require().annotations.spans(segment_id)]
        chosen = []
        for sug in sorted(sugs, key=lambda s: -(s.score if s.score is not None else 1.0)):
            if all(sug.end <= a or sug.start >= b for a, b in taken):
                chosen.append(sug)
                taken.append((sug.start, sug.end))
        if len(chosen) < len(sugs):
            self.notice_posted.emit(
                f"{len(sugs) - len(chosen)} suggestion(s) overlap a label "
                "and were left for you to decide."
            )
        return sorted(chosen, key=lambda s: s.start)
