"""``spantune doctor``: what this machine lacks to run Spantune, named exactly.

Qt's own message for a missing xcb library ("could not load the Qt platform plugin xcb")
names one library at most. This command reads the dependencies of Qt's xcb platform plugin
with ``ldd``, looks up the libraries Qt opens at run time (``libxcb-cursor0``) with
``ctypes.util.find_library``, and checks the Qt binding release. It never imports Qt.
"""

from __future__ import annotations

import argparse
import ctypes.util
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.cli.output import print_json

BROKEN_BINDINGS = ("6.12.0",)  # shiboken6 6.12.0 drops references to None (issue 11)
# library file → Debian/Ubuntu package (dnf names differ: xcb-util-cursor, xcb-util-wm …)
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
RUNTIME_LOADED = ("libxcb-cursor.so.0",)  # dlopen()ed by Qt ≥ 6.5: invisible to ldd
_NOT_FOUND_RE = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from engine.cli.args import add_command

    add_command(
        sub,
        "doctor",
        cmd_doctor,
        project=False,
        json="print the checks as JSON",
        help="check what this machine lacks to run the desktop app",
    )


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_checks()
    missing = [c for c in checks if not c.ok]
    if args.json:
        print_json(
            {
                "ok": not missing,
                "checks": [asdict(c) for c in checks],
                "missing": missing_libraries(checks),
            }
        )
        return 0 if not missing else 1
    for c in checks:
        print(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
        if c.fix:
            print(f"     fix: {c.fix}")
    problems = [c for c in missing if c.name != "all xcb libraries"]
    print(
        "Everything Spantune needs is here."
        if not missing
        else f"{len(problems)} problem(s); the fix lines above say what to install."
    )
    return 0 if not missing else 1


def run_checks() -> list[Check]:
    checks = [Check("python", sys.version_info >= (3, 10), sys.version.split()[0])]
    binding = _binding_check()
    checks.append(binding)
    if binding.ok and sys.platform.startswith("linux"):
        checks.extend(_xcb_checks())
    return checks


def missing_libraries(checks: list[Check]) -> list[str]:
    return [
        c.name.removeprefix("library ")
        for c in checks
        if not c.ok and c.name.startswith("library ")
    ]


def _binding_check() -> Check:
    if importlib.util.find_spec("PySide6") is None:
        return Check(
            "Qt binding",
            False,
            "PySide6 is not installed",
            "pip install 'PySide6-Essentials>=6.6,!=6.12.0'",
        )
    version = _version("PySide6-Essentials") or _version("PySide6") or "unknown"
    if version in BROKEN_BINDINGS:
        return Check(
            "Qt binding",
            False,
            f"PySide6 {version} crashes on Python 3.11 (none_dealloc)",
            "pip install 'PySide6-Essentials==6.11.3'",
        )
    return Check("Qt binding", True, f"PySide6 {version}")


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for rel in ("Qt/plugins/platforms/libqxcb.so", "plugins/platforms/libqxcb.so"):
            if (Path(root) / rel).is_file():
                return Path(root) / rel
    return None


def ldd_missing(plugin: Path) -> list[str] | None:
    """Libraries ``ldd`` cannot find for ``plugin`` (None when ldd is unavailable)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        out = subprocess.run(
            [ldd, str(plugin)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted(set(_NOT_FOUND_RE.findall(out)))


def _xcb_checks() -> list[Check]:
    plugin = xcb_plugin()
    if plugin is None:
        return [
            Check(
                "xcb platform plugin",
                False,
                "libqxcb.so is missing from PySide6",
                "reinstall PySide6-Essentials",
            )
        ]
    missing = ldd_missing(plugin)
    out = [
        Check(
            "xcb platform plugin",
            True,
            str(plugin)
            if missing is not None
            else f"{plugin} (ldd not found: only the run-time libraries were checked)",
        )
    ]
    for lib in RUNTIME_LOADED:
        stem = lib.removeprefix("lib").split(".so")[0]
        if ctypes.util.find_library(stem) is None and lib not in (missing or []):
            missing = [*(missing or []), lib]
    for lib in sorted(missing or []):
        package = XCB_PACKAGES.get(lib)
        fix = f"sudo apt-get install {package}" if package else f"install the package with {lib}"
        out.append(Check(f"library {lib}", False, "not found (Qt's xcb plugin needs it)", fix))
    if missing:
        packages = sorted({XCB_PACKAGES[m] for m in missing if m in XCB_PACKAGES})
        if packages:
            out.append(
                Check(
                    "all xcb libraries",
                    False,
                    f"{len(missing)} missing",
                    "sudo apt-get install " + " ".join(packages),
                )
            )
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        out.append(
            Check(
                "display",
                True,
                "no DISPLAY or WAYLAND_DISPLAY: the app needs a "
                "desktop session (or QT_QPA_PLATFORM=offscreen for scripts)",
            )
        )
    return out
