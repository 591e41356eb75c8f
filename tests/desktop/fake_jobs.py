"""Fake engine jobs for desktop tests: same shape as the real ones, no torch."""

from __future__ import annotations

import threading
import time
from typing import Any

from engine.active_learning import RescoreResult
from engine.errors import TrainingError
from engine.progress import ProgressEvent, TrainEvent
from engine.training import TrainResult


def train_result(version: str) -> TrainResult:
    return TrainResult(
        version=version, path="", metrics={}, counts={}, seconds=0.0, log=(), config={}
    )


def rescore_result(*, sampled: bool = False, message: str = "") -> RescoreResult:
    return RescoreResult(
        version="v0001",
        strategy="mnlp",
        scored=1,
        pool=1,
        eval_segments=0,
        suggestions=0,
        sampled=sampled,
        seconds=0.0,
        message=message,
    )


def register_version(project: Any, f1: float, sentences: int) -> str:
    name = project.versions.next_name()
    (project.models_dir / name).mkdir(parents=True)
    metrics = {
        "precision": f1,
        "recall": f1,
        "f1": f1,
        "sentences": 5,
        "per_label": {
            "PER": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 4},
            "<b>x</b>": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 1},
        },
    }
    project.versions.register(
        name, base_model="fake", metrics=metrics, counts={"train_sentences": sentences}, config={}
    )
    return name


def quick_train(project: Any, *, config: Any = None, on_event: Any, cancel: Any) -> Any:
    """One progress event, then a new version (registered active)."""
    on_event(TrainEvent(epoch=1, epochs=1, step=1, total_steps=1, loss=0.5, eta_seconds=0))
    cancel.raise_if_cancelled()
    n = len(project.versions.get_all())
    return train_result(register_version(project, 0.5 + 0.1 * n, 10 * (n + 1)))


def slow_train(
    project: Any, *, config: Any = None, on_event: Any, cancel: Any, steps: int = 500
) -> Any:
    """Checks cancel every 10 ms and writes nothing until the end (like the real trainer)."""
    for step in range(steps):
        cancel.raise_if_cancelled()
        on_event(
            TrainEvent(
                epoch=1,
                epochs=2,
                step=step,
                total_steps=steps,
                loss=1 / (step + 1),
                eta_seconds=(steps - step) * 0.01,
            )
        )
        time.sleep(0.01)
    return quick_train(project, on_event=on_event, cancel=cancel)


def failing_train(project: Any, *, config: Any = None, on_event: Any, cancel: Any) -> Any:
    on_event(TrainEvent(epoch=1, epochs=1, step=0, total_steps=3))
    raise TrainingError("the GPU caught fire (simulated)")


def quick_rescore(project: Any, *, version: str | None = None, on_event: Any, cancel: Any) -> Any:
    on_event(ProgressEvent("score", 1, 1))
    return rescore_result()


def sampled_rescore(project: Any, *, version: str | None = None, on_event: Any, cancel: Any) -> Any:
    """Returns what the real rescore returns for a pool above the scoring limit."""
    on_event(ProgressEvent("score", 1, 1))
    return rescore_result(
        sampled=True,
        message="scored a random sample of 50000 of 120000 "
        "unlabelled segments (the pool is larger than the scoring limit)",
    )


def busy_train(project: Any, *, config: Any = None, on_event: Any, cancel: Any) -> Any:
    """Pure-Python CPU work for 1.5 s (holds the GIL as much as Python allows)."""
    end = time.monotonic() + 1.5
    total = 0
    while time.monotonic() < end:
        for i in range(20_000):
            total += i * i % 7
        cancel.raise_if_cancelled()
        on_event(TrainEvent(epoch=1, epochs=1, step=0, total_steps=1))
    return quick_train(project, on_event=on_event, cancel=cancel)


def missing_module_train(project: Any, *, config: Any = None, on_event: Any, cancel: Any) -> Any:
    """What the train job raises where the training part of the engine is not installed."""
    raise ModuleNotFoundError("No module named 'engine.training'", name="engine.training")


def thread_name() -> str:
    return threading.current_thread().name
