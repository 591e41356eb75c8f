"""The GUI thread keeps ticking while a real (tiny-model) retrain and its rescore run.

Prints the largest event-loop gap; the issue measured 21–27 ms before. The bound is loose (a
shared CI machine stalls now and then); the number printed is the one to report.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer

from tests.desktop.conftest import add_document
from tests.engine.tiny_model import build_tiny_model

pytestmark = [pytest.mark.gui, pytest.mark.slow]

SENTENCES = [
    "Ada Lovelace lives in London.",
    "Paris is far from Berlin.",
    "John Smith met Mary in Rome.",
    "Anna visited Madrid and Lisbon.",
]


def test_event_loop_gap_during_a_real_retrain(
    qtbot, make_project, make_window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    base = build_tiny_model(tmp_path / "base", ["PER", "LOC"])
    project = make_project(labels=("PER", "LOC"))
    project.set_settings({"base_model": str(base), "eval_share": 0.0})
    for i in range(12):
        text = SENTENCES[i % 4]
        ids = add_document(project, f"{text} ({i})")
        who = text.split(" ")[0]
        seg = project.segment(ids[0])
        project.annotations.add_span(ids[0], seg.start, seg.start + len(who), "PER")
        project.annotations.set_status(ids[0], "labelled")
    for i in range(30):
        add_document(project, f"{SENTENCES[i % 4]} again {i}.")
    window = make_window(project)
    s = window.session
    config = {"epochs": 3, "batch_size": 4, "max_length": 32, "stride": 8, "threads": 1}
    failures: list[object] = []
    s.job_failed.connect(lambda name, error: failures.append((name, error)))
    monkeypatch.setattr("desktop.main_window.show_error", lambda *a, **k: None)  # asserted
    results = [measure(qtbot, s, config) for _ in range(2)]  # cold (imports), then warm
    for what, (seconds, worst, p99, long_gaps) in zip(("first", "second"), results, strict=True):
        print(
            f"largest event-loop gap during the {what} tiny-model retrain + rescore "
            f"({seconds:.1f} s): {worst} ms; 99th percentile {p99} ms; gaps > 60 ms at "
            f"{long_gaps}"
        )
    assert failures == []
    assert project.versions.active() is not None
    assert results[1][1] < 250  # warm: the job thread must not hold the GUI thread


def measure(qtbot, s, config) -> tuple[float, int, int, list]:  # type: ignore[no-untyped-def]
    beats: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: beats.append(time.monotonic()))
    started = time.monotonic()
    with qtbot.waitSignal(s.queue_changed, timeout=180_000):
        beats.append(started)
        timer.start()
        s.retrain(config)
    timer.stop()
    gaps = [round(1000 * (b - a)) for a, b in zip(beats, beats[1:], strict=False)]
    long_gaps = [(round(a - started, 2), g) for a, g in zip(beats, gaps, strict=False) if g > 60]
    return time.monotonic() - started, max(gaps), sorted(gaps)[int(0.99 * len(gaps))], long_gaps
