"""The real app in a child process: Ctrl+C (SIGINT) quits it cleanly, and neither a full disk
at the scheduled backup nor an unexpected exception while opening makes it abort (it used to
end with rc 134, "QThread: Destroyed while thread 'spantune-queue-reader' is still running")."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api import Project
from engine.store import backups
from tests.desktop.conftest import add_document

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and rlimits"),
]
REPO = Path(__file__).resolve().parents[2]

# Runs the launcher as `spantune app PROJECT`; prints "started" once the first project was
# opened (or failed to), so the test knows the SIGINT handler is in place.
CHILD = """
import sys
from desktop import main_window
if sys.argv[2] == "boom":
    import engine.api
    def boom(*args, **kwargs):
        raise RuntimeError("boom: an unexpected failure")
    engine.api.Project.open = boom
original = main_window.MainWindow.start
def start(self, **kwargs):
    try:
        original(self, **kwargs)
    finally:
        print("started", "notices:", len(getattr(self.session.project, "notices", []) or []),
              "open:", self.session.project is not None, flush=True)
main_window.MainWindow.start = start
from desktop.launcher import main
sys.exit(main(["app", sys.argv[1]]))
"""


def run_app_then_sigint(
    project: Path, mode: str, tmp_path: Path, fsize: int | None = None
) -> tuple[int, str, str]:
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        HOME=str(tmp_path / "home"),
    )

    def cap() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(project), mode],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=cap,
    )
    try:
        assert proc.stdout is not None
        started = proc.stdout.readline()
        assert started.startswith("started"), proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, started + out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "p", ["PER"]) as p:
        add_document(p, " ".join(f"Ana met Bo in Paris on day {i}." for i in range(3000)))
        path = p.path
    for b in backups.list_backups(path):
        b.unlink()  # a scheduled backup is due at the next open
    return path


def assert_clean_exit(code: int, err: str) -> None:
    assert code == 0, err[-3000:]
    assert "QThread: Destroyed" not in err and "Traceback" not in err, err[-3000:]


def test_sigint_quits_like_closing_the_window(project: Path, tmp_path: Path) -> None:
    code, out, err = run_app_then_sigint(project, "plain", tmp_path)
    assert_clean_exit(code, err)
    assert "open: True" in out
    assert (project / "project.lock").read_text() == ""  # closed: the lock was released
    assert len(backups.list_backups(project)) == 1  # the scheduled backup ran


def test_full_disk_at_the_scheduled_backup_opens_with_a_warning(
    project: Path, tmp_path: Path
) -> None:
    assert (project / "project.sqlite").stat().st_size > 300_000
    code, out, err = run_app_then_sigint(project, "plain", tmp_path, fsize=200_000)
    assert_clean_exit(code, err)
    assert "open: True" in out and "notices: 1" in out
    assert "scheduled backup failed" in err
    assert backups.list_backups(project) == []
    assert not list((project / "backups").glob("*.tmp"))


def test_an_unexpected_error_while_opening_never_aborts(project: Path, tmp_path: Path) -> None:
    code, out, err = run_app_then_sigint(project, "boom", tmp_path)
    assert code == 0, err[-3000:]
    assert "QThread: Destroyed" not in err
    assert "open: False" in out
