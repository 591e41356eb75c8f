"""Progress reporting and cancellation shared by every long engine job.

A job has the shape ``fn(..., *, on_event=None, cancel=None) -> Result``. ``on_event`` receives
:class:`ProgressEvent` or :class:`TrainEvent` values; ``cancel`` is a :class:`CancelToken` checked
between steps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Cancelled


@dataclass(frozen=True)
class ProgressEvent:
    """Generic progress of a job: ``done`` of ``total`` units (total None when unknown)."""

    stage: str
    done: int
    total: int | None = None
    message: str = ""
    eta_seconds: float | None = None


@dataclass(frozen=True)
class TrainEvent:
    """Progress of a training run."""

    epoch: int
    epochs: int
    step: int
    total_steps: int
    loss: float | None = None
    examples_per_second: float | None = None
    eta_seconds: float | None = None
    eval_f1: float | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


Event = ProgressEvent | TrainEvent
EventCallback = Callable[[Event], None]


class CancelToken:
    """A flag the person sets to stop a job; the job checks it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


def check(cancel: CancelToken | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set (no-op for None)."""
    if cancel is not None:
        cancel.raise_if_cancelled()


class Throttle:
    """Forward events at most every ``interval`` seconds (always the first and forced ones).

    The one throttle of the project, applied where events are produced: by the engine's jobs
    and by the desktop worker before events cross into the GUI thread. An event held back is
    kept, so :meth:`flush` can deliver the latest one when the job ends. Thread-safe.
    """

    def __init__(self, on_event: EventCallback | None, interval: float = 0.1) -> None:
        self._on_event = on_event
        self._interval = interval
        self._last = float("-inf")
        self._held: Event | None = None
        self._lock = threading.Lock()

    def __call__(self, event: Event, *, force: bool = False) -> None:
        if self._on_event is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < self._interval:
                self._held = event
                return
            self._last = now
            self._held = None
        self._on_event(event)

    def restart(self) -> None:
        """Count the interval from now (the receiver has just consumed the last event)."""
        with self._lock:
            self._last = time.monotonic()

    def flush(self) -> None:
        """Deliver the latest event that was held back, if any."""
        with self._lock:
            event, self._held = self._held, None
        if event is not None and self._on_event is not None:
            self._on_event(event)


def progress_counts(event: object) -> tuple[int, int | None] | None:
    """``(done, total)`` of a progress or training event (steps for training); None otherwise.

    The one place that reads numbers out of an event, for the CLI bar and the desktop panels.
    """
    if isinstance(event, TrainEvent):
        return event.step, event.total_steps
    if isinstance(event, ProgressEvent):
        return event.done, event.total
    return None


def progress_range(event: object) -> tuple[int, int] | None:
    """``(done, total)`` with ``done`` clipped to a known ``total > 0``, else None (busy bar)."""
    done, total = progress_counts(event) or (0, None)
    if total is None or total <= 0:
        return None
    return min(done, total), total


def emit(on_event: EventCallback | None, event: Event) -> None:
    if on_event is not None:
        on_event(event)
