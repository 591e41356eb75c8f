"""Imports the model libraries on a thread of its own once the window is up.

A first retrain used to import torch, transformers, seqeval and onnx on the job thread; parts of
those imports hold the GIL in one long C call, and the GUI thread froze for ~1 s in the middle of
the job (measured: 884 ms, ``ml_dtypes`` registering its dtypes, and ~300 ms of garbage collection
over what the libraries allocated). The app now imports the worst of them before its window shows
and the rest here, while the person is still looking at the queue (see :mod:`engine.preload`).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from engine.api import preload_libraries
from engine.progress import CancelToken

log = logging.getLogger(__name__)


class Preloader(QObject):
    """One background import pass; :meth:`shutdown` joins it (a daemon thread cut off at exit
    in the middle of a C++ library's static set-up can abort the interpreter)."""

    finished = Signal(object)  # dict[str, float]: seconds per module imported

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._cancel = CancelToken()
        self.seconds: dict[str, float] | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start the pass (once); False when it already ran or is running."""
        if self._thread is not None or self._cancel.cancelled:
            return False
        self._thread = threading.Thread(target=self._run, name="spantune-preload", daemon=True)
        self._thread.start()
        return True

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the pass has returned; False on timeout (True when never started)."""
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def shutdown(self) -> None:
        """Skip the modules not yet imported and wait for the one in progress (idempotent)."""
        self._cancel.cancel()
        self.wait()

    def _run(self) -> None:
        try:
            seconds = preload_libraries("background", self._cancel)
        except Exception:  # noqa: BLE001 - a failed preload only means the job imports later
            log.exception("preloading the model libraries failed")
            return
        self.seconds = seconds
        if not self._cancel.cancelled:
            self.finished.emit(seconds)  # queued to the GUI thread
