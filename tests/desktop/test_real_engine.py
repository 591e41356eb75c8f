"""The desktop with the real engine: retrain the demo project with the bundled encoder."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_retrain_demo_with_the_real_engine(qtbot, make_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from engine.demo import open_demo_project

    project = open_demo_project(tmp_path / "demo.spantune")
    window = make_window(project)
    s = window.session
    finished: list[str] = []
    s.job_finished.connect(lambda name, result: finished.append(name))
    with qtbot.waitSignal(s.queue_changed, timeout=300_000):
        window.model_panel.retrain_button.click()
    assert finished == ["train", "rescore"]
    assert project.versions.active() is not None
    assert window.model_panel.versions_model.rowCount() == 1
    assert project.stats()["suggestions"] > 0
    window.navigator.next_in_queue()
    assert window.editor.content is not None


def test_cancelling_a_real_retrain_is_quick_and_changes_nothing(
    qtbot, make_window, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import time

    from engine.demo import open_demo_project
    from engine.progress import TrainEvent

    project = open_demo_project(tmp_path / "demo.spantune")
    window = make_window(project)
    s = window.session
    events: list[TrainEvent] = []
    s.job_progressed.connect(
        lambda name, e: events.append(e) if isinstance(e, TrainEvent) else None
    )
    with qtbot.waitSignal(
        s.job_progressed, timeout=120_000, check_params_cb=lambda name, e: isinstance(e, TrainEvent)
    ):
        s.retrain()
    started = time.monotonic()
    with qtbot.waitSignal(s.job_cancelled, timeout=5000):
        window.model_panel.cancel_button.click()
    print(f"\nreal retrain cancelled in {time.monotonic() - started:.2f} s")
    assert events and events[-1].step < events[-1].total_steps  # stopped mid-run, not at the end
    assert project.versions.get_all() == []
