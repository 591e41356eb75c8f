"""``spantune doctor`` names exactly the system libraries Qt's xcb plugin lacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from engine.cli import commands_doctor as doctor
from engine.cli.main import main


@pytest.fixture
def linux_with_plugin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(doctor, "xcb_plugin", lambda: plugin)
    return plugin


def test_doctor_names_missing_libraries_and_packages(
    linux_with_plugin, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        doctor, "ldd_missing", lambda _p: ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    )
    monkeypatch.setattr(doctor.ctypes.util, "find_library", lambda _name: None)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    for lib in ("libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"):
        assert f"FAIL library {lib}" in out
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in out
    assert "3 problem(s)" in out
    assert main(["doctor", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert data["missing"] == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_doctor_passes_when_nothing_is_missing(linux_with_plugin, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(doctor, "ldd_missing", lambda _p: [])
    monkeypatch.setattr(doctor.ctypes.util, "find_library", lambda name: f"lib{name}.so")
    monkeypatch.setenv("DISPLAY", ":0")
    assert main(["doctor"]) == 0
    assert "Everything Spantune needs is here." in capsys.readouterr().out


def test_doctor_refuses_the_broken_binding(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(doctor, "_version", lambda dist: "6.12.0")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL Qt binding: PySide6 6.12.0" in out and "6.11.3" in out


def test_ldd_output_is_parsed() -> None:
    text = (
        "\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n\tlibxcb-icccm.so.4 => not found\n"
        "\tlibxcb-icccm.so.4 => not found\n"
    )
    assert sorted(set(doctor._NOT_FOUND_RE.findall(text))) == ["libxcb-icccm.so.4"]
