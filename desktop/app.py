"""Application set-up: ``run_app`` creates the QApplication, the session and the main window."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from desktop.binding_check import binding_problem
from desktop.services.app_settings import APPLICATION, ORGANIZATION, AppSettings

log = logging.getLogger(__name__)


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


def run_app(argv: Sequence[str] | None = None, demo: bool = False,
            project: str | Path | None = None) -> int:
    """Run the desktop app until its window closes; returns the exit code."""
    from desktop.main_window import MainWindow
    from desktop.services.session import Session
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
    window.show()
    window.start(demo=demo, project=str(project) if project else None)
    return int(app.exec())
