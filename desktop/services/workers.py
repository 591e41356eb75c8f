"""The desktop's worker helper: :class:`Worker` runs one engine job in a worker thread and
reports back through signals; :func:`wait_until` waits for one without polling.

The job has the engine's shape ``fn(*, on_event, cancel) -> result`` (arguments bound before).
Progress events are throttled in the worker thread (the engine's :class:`Throttle`), so at most
``MAX_RATE`` per second cross into the GUI thread however fast the job reports: one event is in
flight at a time and the interval counts from when the GUI took the previous one, so events
cannot arrive bunched up after a busy moment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal, SignalInstance, Slot

from engine.errors import Cancelled, EngineError
from engine.progress import CancelToken, Throttle

log = logging.getLogger(__name__)

JobCall = Callable[..., Any]
MAX_RATE = 10.0


class Worker(QObject):
    """Runs ``job(on_event=…, cancel=token)`` once, in whatever thread it was moved to.

    Exactly one of ``finished(result)``, ``failed(error)`` or ``cancelled()`` is emitted at the end.
    """

    progress_ready = Signal()  # take the event with take_progress()
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
        self._throttle = Throttle(self._post, 1.0 / MAX_RATE)
        self._lock = threading.Lock()
        self._latest: object | None = None
        self._posted = False

    def cancel(self) -> None:
        """Ask the job to stop; safe from any thread (the GUI's Cancel button calls this)."""
        self.token.cancel()

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(on_event=self._throttle, cancel=self.token)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - reported to the person through failed()
            # an expected error (a bad file, a refused edit) is one line; a bug keeps its trace
            log.warning(
                "job %s failed: %s", self.name, exc, exc_info=not isinstance(exc, EngineError)
            )
            self.failed.emit(exc)
        else:
            self._throttle.flush()
            self.finished.emit(result)

    def take_progress(self) -> object | None:
        """The latest progress event (GUI thread, on ``progress_ready``); None if taken."""
        with self._lock:
            event, self._latest = self._latest, None
            self._posted = False
        self._throttle.restart()
        return event

    def _post(self, event: object) -> None:
        with self._lock:
            self._latest = event
            first, self._posted = not self._posted, True
        if first:
            self.progress_ready.emit()


def wait_until(
    done: Callable[[], bool], wake: Sequence[SignalInstance], timeout_s: float | None = None
) -> bool:
    """Run a local event loop until ``done()`` holds, re-checking whenever one of the ``wake``
    signals fires (no polling); False when ``timeout_s`` passed first."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    for signal in wake:
        signal.connect(loop.quit)
    try:
        while not done():
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                timer.start(max(1, int(left * 1000)))
            loop.exec()
        return True
    finally:
        timer.stop()
        for signal in wake:
            signal.disconnect(loop.quit)
