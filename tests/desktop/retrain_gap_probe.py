"""Runs the real app (``desktop.app.run_app``) on a project in a fresh process and measures the
GUI thread's event-loop gaps: while the model libraries preload, then during a first and a second
retrain + rescore. Prints one JSON line. Used by ``test_retrain_gap.py`` (a fresh process is the
only honest "first retrain": in the test process torch and transformers are already imported).

    python -m tests.desktop.retrain_gap_probe PROJECT_FOLDER [--no-preload]
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

CONFIG = {"epochs": 3, "batch_size": 4, "max_length": 32, "stride": 8, "threads": 1}


class Beats:
    """A 10 ms GUI-thread timer; ``gaps()`` reports what it saw since ``start()``."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.times.append(time.monotonic()))

    def start(self) -> None:
        self.times = [time.monotonic()]
        self.timer.start()

    def stop(self) -> dict[str, Any]:
        self.timer.stop()
        self.times.append(time.monotonic())
        gaps = sorted(
            round(1000 * (b - a)) for a, b in zip(self.times, self.times[1:], strict=False)
        )
        return {
            "seconds": round(self.times[-1] - self.times[0], 2),
            "worst_ms": gaps[-1],
            "p99_ms": gaps[int(0.99 * (len(gaps) - 1))],
        }


def wait_for(signal: Any, done: Any, timeout_s: float = 300) -> None:
    if done():
        return
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def drive(report: dict[str, Any]) -> None:
    from desktop.main_window import MainWindow

    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    s = window.session
    failures: list[str] = []
    s.job_failed.connect(lambda name, error: failures.append(f"{name}: {error}"))
    beats = Beats()
    beats.start()
    loop = QEventLoop()
    QTimer.singleShot(1200, loop.quit)
    loop.exec()
    wait_for(s.preloader.finished, lambda: not s.preloader.running)
    report["preload"] = beats.stop() | {"modules": s.preloader.seconds}
    for which in ("first", "second"):
        before = set(sys.modules)
        beats.start()
        s.retrain(CONFIG)
        wait_for(s.queue_changed, lambda: False)
        report[which] = beats.stop() | {"new_modules": [m for m in sys.modules if m not in before]}
    report["failures"] = failures
    report["active_version"] = s.project.versions.active() if s.project else None
    window.close()


def main(argv: list[str]) -> int:
    folder = argv[0]
    if "--no-preload" in argv:
        import desktop.services.preloader
        import engine.api

        engine.api.preload_libraries = lambda *a, **k: {}  # type: ignore[assignment]
        desktop.services.preloader.preload_libraries = lambda *a, **k: {}  # type: ignore[assignment]
    import tempfile

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    QCoreApplication.setOrganizationName("SpantuneTests")
    QCoreApplication.setApplicationName("SpantuneTests")
    from desktop.app import run_app

    app = QApplication(["spantune"])  # before the timers below; run_app uses this one

    report: dict[str, Any] = {}
    started = time.monotonic()
    QTimer.singleShot(
        0, lambda: report.__setitem__("startup_s", round(time.monotonic() - started, 2))
    )
    QTimer.singleShot(0, lambda: drive(report))
    code = run_app(["spantune"], project=folder)
    del app
    print(json.dumps(report | {"exit": code}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
