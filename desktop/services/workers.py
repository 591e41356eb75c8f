"""A :class:`Worker` runs one engine job in a worker thread and reports back through signals.

The job has the engine's shape ``fn(*, on_event, cancel) -> result`` (arguments bound before).
Progress events are throttled here, in the worker thread, so at most ``MAX_RATE`` per second
cross into the GUI thread however fast the job reports.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from engine.errors import Cancelled, EngineError
from engine.progress import CancelToken

log = logging.getLogger(__name__)

JobCall = Callable[..., Any]
MAX_RATE = 10.0


class Worker(QObject):
    """Runs ``job(on_event=…, cancel=token)`` once, in whatever thread it was moved to.

    Exactly one of ``finished(result)``, ``failed(error)`` or ``cancelled()`` is emitted at the end.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    start_requested = Signal()

    def __init__(self, name: str, job: JobCall, token: CancelToken | None = None) -> None:
        super().__init__()
        # lives as long as the worker: Qt drops the connection when the worker is deleted
        self.start_requested.connect(self.run)
        self.name = name
        self.token = token or CancelToken()
        self._job = job
        self._interval = 1.0 / MAX_RATE
        self._last_emit = float("-inf")
        self._pending: object | None = None
        self._lock = threading.Lock()

    def cancel(self) -> None:
        """Ask the job to stop; safe from any thread (the GUI's Cancel button calls this)."""
        self.token.cancel()

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(on_event=self._on_event, cancel=self.token)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - reported to the person through failed()
            # an expected error (a bad file, a refused edit) is one line; a bug keeps its trace
            log.warning("job %s failed: %s", self.name, exc,
                        exc_info=not isinstance(exc, EngineError))
            self.failed.emit(exc)
        else:
            self._flush()
            self.finished.emit(result)

    def _on_event(self, event: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_emit < self._interval:
                self._pending = event
                return
            self._last_emit = now
            self._pending = None
        self.progress.emit(event)

    def _flush(self) -> None:
        with self._lock:
            event, self._pending = self._pending, None
        if event is not None:
            self.progress.emit(event)
