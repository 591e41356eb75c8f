"""The desktop Preloader: one background pass, joined on shutdown."""

from __future__ import annotations

import pytest

from desktop.services import preloader as preloader_module
from desktop.services.preloader import Preloader


def test_one_pass_reports_its_seconds(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def fake(stage: str, cancel: object = None) -> dict[str, float]:
        calls.append(stage)
        return {"json": 0.001}

    monkeypatch.setattr(preloader_module, "preload_libraries", fake)
    p = Preloader()
    with qtbot.waitSignal(p.finished, timeout=5000) as blocker:
        assert p.start()
    assert blocker.args == [{"json": 0.001}]
    assert not p.start()  # once per app
    p.shutdown()
    assert calls == ["background"]
    assert p.seconds == {"json": 0.001}


def test_shutdown_before_start_means_no_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preloader_module, "preload_libraries", lambda *a: {"x": 1.0})
    p = Preloader()
    p.shutdown()
    assert not p.start()
    assert p.wait(0)


def test_a_failing_pass_is_logged_not_raised(qtbot, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    def boom(*a: object) -> dict[str, float]:
        raise RuntimeError("no torch here")

    monkeypatch.setattr(preloader_module, "preload_libraries", boom)
    p = Preloader()
    p.start()
    assert p.wait(5)
    assert p.seconds is None
    assert "preloading the model libraries failed" in caplog.text
