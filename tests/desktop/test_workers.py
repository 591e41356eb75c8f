"""The job thread: signal order, throttling, cancel, failure, shutdown, GUI responsiveness."""

from __future__ import annotations

import threading
import time

import pytest

from desktop.services.job_runner import JobRunner
from engine.progress import ProgressEvent
from tests.desktop.conftest import worst_heartbeat_gap

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qtbot):  # type: ignore[no-untyped-def]
    r = JobRunner()
    yield r
    r.shutdown()


def test_signals_arrive_in_order(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    def job(*, on_event, cancel):  # type: ignore[no-untyped-def]
        on_event(ProgressEvent("work", 1, 2))
        return 42

    results: list[tuple] = []
    runner.job_finished.connect(lambda *args: results.append(args))
    with qtbot.waitSignals(
        [runner.job_started, runner.job_progressed, runner.job_finished],
        order="strict",
        timeout=3000,
    ):
        assert runner.start("job", job)
    assert results == [("job", 42)]
    assert not runner.busy


def test_one_job_at_a_time(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    def slow(*, on_event, cancel):  # type: ignore[no-untyped-def]
        cancel.wait(5)
        cancel.raise_if_cancelled()

    assert runner.start("slow", slow)
    assert not runner.start("other", slow)
    with qtbot.waitSignal(runner.job_cancelled, timeout=2000):
        runner.cancel()


def test_progress_is_throttled(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    received: list[float] = []
    runner.job_progressed.connect(lambda *_: received.append(time.monotonic()))

    def chatty(*, on_event, cancel):  # type: ignore[no-untyped-def]
        end = time.monotonic() + 0.6
        i = 0
        while time.monotonic() < end:
            on_event(ProgressEvent("spam", i, None))
            i += 1
        return i

    with qtbot.waitSignal(runner.job_finished, timeout=5000) as blocker:
        runner.start("chatty", chatty)
    assert blocker.args[1] > 1000  # the job reported thousands of times …
    assert len(received) <= 0.6 * 10 + 2  # … at most ~10 per second reached the GUI
    gaps = [b - a for a, b in zip(received, received[1:-1], strict=False)]
    assert all(g >= 0.09 for g in gaps)


def test_cancel_stops_quickly(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    steps: list[int] = []

    def long_job(*, on_event, cancel):  # type: ignore[no-untyped-def]
        for step in range(1000):
            cancel.raise_if_cancelled()
            steps.append(step)
            on_event(ProgressEvent("step", step, 1000))
            time.sleep(0.01)
        return "done"

    with qtbot.waitSignal(runner.job_progressed, timeout=2000):
        runner.start("long", long_job)
    with qtbot.waitSignal(runner.job_cancelled, timeout=2000):
        runner.cancel()
        at_cancel = len(steps)
    # the job stopped at its next check: at most the step in flight ran after the cancel
    assert len(steps) - at_cancel <= 1
    assert steps[-1] < 999
    assert not runner.busy


def test_failure_is_reported(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    def broken(*, on_event, cancel):  # type: ignore[no-untyped-def]
        raise ValueError("boom")

    with qtbot.waitSignal(runner.job_failed, timeout=2000) as blocker:
        runner.start("broken", broken)
    name, error = blocker.args
    assert name == "broken" and isinstance(error, ValueError)
    with qtbot.waitSignal(runner.job_finished, timeout=2000):  # the runner still works
        runner.start("ok", lambda **_: 1)


def test_shutdown_during_job_is_clean(qtbot, qtlog) -> None:  # type: ignore[no-untyped-def]
    runner = JobRunner()

    ended: list[bool] = []
    running = threading.Event()

    def long_job(*, on_event, cancel):  # type: ignore[no-untyped-def]
        running.set()
        while not cancel.wait(0.01):
            pass
        ended.append(cancel.cancelled)
        cancel.raise_if_cancelled()

    runner.start("long", long_job)
    assert running.wait(2.0)
    runner.shutdown()
    assert ended == [True]  # shutdown cancelled the job and waited until it had returned
    assert not runner._thread.isRunning()
    del runner
    assert not [r for r in qtlog.records if "Destroyed while thread" in r.message]


def test_gui_stays_responsive_during_cpu_bound_job(qtbot, runner, record_property) -> None:  # type: ignore[no-untyped-def]
    """A heartbeat timer keeps ticking while a pure-Python job burns CPU in the job thread."""

    def busy(*, on_event, cancel):  # type: ignore[no-untyped-def]
        end = time.monotonic() + 1.5
        total = 0
        while time.monotonic() < end:
            for i in range(20_000):
                total += i * i % 7
            on_event(ProgressEvent("busy", 0, None))
            cancel.raise_if_cancelled()
        return total

    worst, runs = worst_heartbeat_gap(
        qtbot, lambda: runner.start("busy", busy), runner.job_finished
    )
    record_property("heartbeat_max_gap_ms", runs)
    print(f"\nheartbeat during a CPU-bound job: largest gap per run {runs} ms")
    # the gap is reported above; the 100 ms target is not asserted on shared CI cores
