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
    """Forward events at most every ``interval`` seconds (always the first and forced ones)."""

    def __init__(self, on_event: EventCallback | None, interval: float = 0.1) -> None:
        self._on_event = on_event
        self._interval = interval
        self._last = 0.0

    def __call__(self, event: Event, *, force: bool = False) -> None:
        if self._on_event is None:
            return
        now = time.monotonic()
        if force or now - self._last >= self._interval:
            self._last = now
            self._on_event(event)


def emit(on_event: EventCallback | None, event: Event) -> None:
    if on_event is not None:
        on_event(event)
