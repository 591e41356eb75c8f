"""Application set-up: ``run_app`` creates the QApplication, the session and the main window."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from desktop.binding_check import binding_problem
from desktop.services.app_settings import APPLICATION, ORGANIZATION, AppSettings

log = logging.getLogger(__name__)

#: how long after the event loop starts the model libraries are imported in the background
PRELOAD_DELAY_MS = 1000


def app_icon() -> QIcon:
    from engine.api import resource_path

    for name in ("icon.png", "icon.svg"):  # PNG needs no SVG plugin
        try:
            path = resource_path(name)
        except (ModuleNotFoundError, OSError):
            return QIcon()
        if Path(path).is_file():
            return QIcon(str(path))
    return QIcon()


def configure(app: QApplication) -> None:
    """Names (for QSettings), style, palette, font and icon shared by every window."""
    if not QCoreApplication.organizationName():
        app.setOrganizationName(ORGANIZATION)
    if not QCoreApplication.applicationName() or QCoreApplication.applicationName() == "python":
        app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Spantune")
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#F4F5F7"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#FFFFFF"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#F7F8FA"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#2F6FDF"))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#7A7F87"))
    app.setPalette(palette)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setWindowIcon(app_icon())


def run_app(
    argv: Sequence[str] | None = None, demo: bool = False, project: str | Path | None = None
) -> int:
    """Run the desktop app until its window closes; returns the exit code."""
    from desktop.main_window import MainWindow
    from desktop.services.session import Session
    from engine.api import preload_libraries
    from engine.logs import configure_logging

    configure_logging()  # library bars and warnings to the log file, not the terminal
    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    assert isinstance(app, QApplication)
    problem = binding_problem()
    if problem is not None:  # refuse now rather than abort mid-session with none_dealloc
        print(f"spantune: {problem}", file=sys.stderr)
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "Spantune cannot start", problem)
        return 1
    configure(app)
    session = Session()
    window = MainWindow(session, AppSettings())
    app.aboutToQuit.connect(session.shutdown)
    previous = install_sigint_quit(window)
    preload_libraries("before-window")  # ~0.9 s that would otherwise freeze the first retrain
    try:
        window.show()
        try:
            window.start(demo=demo, project=str(project) if project else None)
        except Exception as exc:  # noqa: BLE001 - shown to the person; the app goes on
            log.exception("opening the first project failed")
            from desktop.dialogs.error_dialog import show_error

            show_error(window, exc, "Opening the project")
        # the rest once the window has painted and the project is open
        QTimer.singleShot(PRELOAD_DELAY_MS, session.preloader.start)
        return int(app.exec())
    finally:
        stop_threads(window, session)
        signal.signal(signal.SIGINT, previous)


def install_sigint_quit(window: QWidget) -> Any:
    """Ctrl+C in the terminal closes the window as the close button does (jobs are asked
    about, threads stopped). Python runs signal handlers only between bytecodes, so a timer
    wakes the interpreter while Qt's event loop waits."""
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(_signum: int, _frame: object) -> None:
        log.info("SIGINT: closing the window")
        QTimer.singleShot(0, window.close)

    signal.signal(signal.SIGINT, on_sigint)
    timer = QTimer(window)
    timer.setObjectName("spantune-sigint-poll")
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return previous


def stop_threads(window: QWidget, session: Any) -> None:
    """Stop every worker thread before its QThread object can be deleted (an abort otherwise,
    "QThread: Destroyed while thread … is still running"). Idempotent."""
    session.shutdown()
    queue_model = getattr(window, "queue_model", None)
    if queue_model is not None:
        queue_model.shutdown()
