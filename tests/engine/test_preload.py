"""engine.preload: the desktop app's ahead-of-time imports."""

from __future__ import annotations

import logging

import pytest

from engine.api import preload_libraries
from engine.preload import IN_BACKGROUND, preload
from engine.progress import CancelToken


def test_preload_imports_and_skips_what_is_missing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="engine.preload"):
        seconds = preload(["json", "spantune_no_such_module", "csv"])
    assert list(seconds) == ["json", "csv"]
    assert "spantune_no_such_module" in caplog.text


def test_a_cancelled_preload_imports_nothing_more() -> None:
    cancel = CancelToken()
    cancel.cancel()
    assert preload(["json"], cancel) == {}
    assert preload_libraries("background", cancel) == {}  # no exercise either


def test_the_stage_is_checked() -> None:
    with pytest.raises(ValueError, match="before-window"):
        preload_libraries("later")


def test_every_background_module_exists() -> None:
    # a renamed module would silently drop out of the preload (it logs and skips)
    import importlib.util

    missing = [
        name
        for name in IN_BACKGROUND
        if "._internal." not in name and importlib.util.find_spec(name) is None
    ]
    assert missing == []


def test_settle_freezes_what_is_alive() -> None:
    import gc

    from engine.preload import settle

    try:
        before = gc.get_freeze_count()
        keep = [object() for _ in range(10)], {"a": []}
        settle()
        assert gc.get_freeze_count() > before
        assert keep
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
