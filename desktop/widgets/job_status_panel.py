"""A progress bar and status line that follow one session job, for the dialogs that start one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from desktop.errors import describe
from desktop.services.session import Session
from desktop.widgets.job_progress_text import describe_progress
from engine.progress import progress_range


class JobStatusPanel(QWidget):
    """Progress and outcome of the session job named ``job_name``; other jobs are ignored.

    A failure shows ``describe(error, action)`` and a cancel shows ``cancelled_text``; on success
    the owner writes the text, since only it knows what the result means.
    """

    finished = Signal(object)  # the job's result
    failed = Signal(object)  # the exception it raised
    cancelled = Signal()

    def __init__(
        self,
        session: Session,
        job_name: str,
        *,
        action: str,
        cancelled_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.job_name = job_name
        self._action = action
        self._cancelled_text = cancelled_text
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        # Qt drops these connections when the panel is deleted with its dialog
        session.job_progressed.connect(self._on_session_job_progressed)
        session.job_finished.connect(self._on_session_job_finished)
        session.job_failed.connect(self._on_session_job_failed)
        session.job_cancelled.connect(self._on_session_job_cancelled)

    def start(self, text: str) -> None:
        """The job was started: a busy bar and ``text`` until its first progress event."""
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(text)

    def _on_session_job_progressed(self, name: str, event: object) -> None:
        if name != self.job_name:
            return
        fraction = progress_range(event)
        if fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, fraction[1])
            self.progress.setValue(fraction[0])
        self.status.setText(describe_progress(name, event))

    def _on_session_job_finished(self, name: str, result: object) -> None:
        if name == self.job_name:
            self.progress.hide()
            self.finished.emit(result)

    def _on_session_job_failed(self, name: str, error: BaseException) -> None:
        if name == self.job_name:
            self.progress.hide()
            self.status.setText(describe(error, self._action).text)
            self.failed.emit(error)

    def _on_session_job_cancelled(self, name: str) -> None:
        if name == self.job_name:
            self.progress.hide()
            self.status.setText(self._cancelled_text)
            self.cancelled.emit()
