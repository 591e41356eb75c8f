"""Runs engine jobs one at a time on one long-lived worker thread.

One thread (rather than one per job) means one SQLite connection for all jobs of a project and
no thread to tear down between a training run and the rescore that follows it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread, Signal

from desktop.services.workers import JobCall, Worker, wait_until

log = logging.getLogger(__name__)


class JobRunner(QObject):
    """Starts :class:`Worker` jobs in its thread and re-emits their signals with the job name."""

    job_started = Signal(str)
    job_progressed = Signal(str, object)
    job_finished = Signal(str, object)
    job_failed = Signal(str, object)
    job_cancelled = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("spantune-jobs")
        self._thread.start()
        self._worker: Worker | None = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    @property
    def current(self) -> str | None:
        return self._worker.name if self._worker is not None else None

    def start(self, name: str, job: JobCall) -> bool:
        """Run ``job`` unless another job is running (then return False)."""
        if self._worker is not None or not self._thread.isRunning():
            return False
        worker = Worker(name, job)
        worker.moveToThread(self._thread)
        worker.progress_ready.connect(self._on_worker_progress_ready)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_worker_failed)
        worker.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        self.job_started.emit(name)
        worker.start_requested.emit()  # queued: run() starts in the job thread
        return True

    def cancel(self) -> None:
        """Set the running job's cancel token (it stops at its next check)."""
        if self._worker is not None:
            self._worker.cancel()

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Process events until the running job has returned; False on timeout."""
        # the worker's end signal is queued to this thread: the local loop lets it arrive
        return wait_until(
            lambda: self._worker is None,
            (self.job_finished, self.job_failed, self.job_cancelled),
            timeout_s,
        )

    def shutdown(self) -> None:
        """Cancel any job, wait for it to return, and stop the thread (idempotent)."""
        if self._worker is not None:
            self._worker.cancel()
        self._thread.quit()
        self._thread.wait()
        self._worker = None  # the thread has stopped: Python may delete the worker now

    # -- worker signals (arrive in the GUI thread) ------------------------------------------------
    def _on_worker_progress_ready(self) -> None:
        # throttled where it was produced (the worker), so forwarded as it comes
        event = self._worker.take_progress() if self._worker is not None else None
        if event is not None and self._worker is not None:
            self.job_progressed.emit(self._worker.name, event)

    def _on_worker_finished(self, result: object) -> None:
        name = self._release()
        if name is not None:
            self.job_finished.emit(name, result)

    def _on_worker_failed(self, error: object) -> None:
        name = self._release()
        if name is not None:
            self.job_failed.emit(name, error)

    def _on_worker_cancelled(self) -> None:
        name = self._release()
        if name is not None:
            self.job_cancelled.emit(name)

    def _release(self) -> str | None:
        worker, self._worker = self._worker, None
        if worker is None:
            return None
        worker.deleteLater()
        return worker.name
