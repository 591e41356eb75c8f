"""An expected error in a job is logged as one line, a bug keeps its traceback (item 12)."""

from __future__ import annotations

import logging

import pytest

from engine.errors import FormatError
from tests.desktop.conftest import add_document

pytestmark = pytest.mark.gui


def bad_import(project, *, on_event, cancel, **_kw):  # type: ignore[no-untyped-def]
    raise FormatError("line 3: expected 2 columns", path="bad.conll", line=3)


def buggy_job(project, *, on_event, cancel, **_kw):  # type: ignore[no-untyped-def]
    raise ZeroDivisionError("a real bug")


def test_expected_job_errors_log_one_line(
    qtbot, make_project, make_window, caplog, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    add_document(project, "Ada met Charles.")
    window = make_window(project, jobs={"import": bad_import, "export_data": buggy_job})
    s = window.session
    caplog.set_level(logging.WARNING, logger="desktop")
    with qtbot.waitSignal(s.job_failed, timeout=5000):
        s.start_job("import")
    failed = [r for r in caplog.records if "job import failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info in (None, False)
    assert "expected 2 columns" in failed[0].getMessage()
    caplog.clear()
    shown: list[object] = []
    monkeypatch.setattr("desktop.main_window.show_error", lambda *a, **k: shown.append(a))
    with qtbot.waitSignal(s.job_failed, timeout=5000):
        s.start_job("export_data")
    assert shown  # a bug is still shown to the person
    bug = [r for r in caplog.records if "job export_data failed" in r.getMessage()]
    assert bug and bug[0].exc_info and bug[0].exc_info[0] is ZeroDivisionError
