"""What the app remembers between runs (QSettings): recent projects, window geometry.

Tests hand in their own ``QSettings`` (a temporary INI file) so they never touch the person's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "Spantune"
APPLICATION = "Spantune"
MAX_RECENT = 8


class AppSettings:
    def __init__(self, settings: QSettings | None = None) -> None:
        self._s = (
            settings
            if settings is not None
            else QSettings(
                QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
            )
        )

    @property
    def qsettings(self) -> QSettings:
        return self._s

    # -- recent projects -------------------------------------------------------------------------
    def recent_projects(self) -> list[str]:
        value = self._s.value("recent_projects", [])
        if isinstance(value, str):  # QSettings returns a one-item list as a plain string
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent_project(self, path: str | Path) -> None:
        path = str(Path(path))
        items = [p for p in self.recent_projects() if p != path]
        self._s.setValue("recent_projects", [path, *items][:MAX_RECENT])
        self._s.setValue("last_project", path)
        self._s.sync()

    def remove_recent_project(self, path: str | Path) -> None:
        path = str(Path(path))
        self._s.setValue("recent_projects", [p for p in self.recent_projects() if p != path])
        if self.last_project() == path:
            self._s.remove("last_project")
        self._s.sync()

    def last_project(self) -> str | None:
        value = self._s.value("last_project")
        return str(value) if value else None

    def forget_last_project(self) -> None:
        self._s.remove("last_project")

    # -- window ----------------------------------------------------------------------------------
    def geometry(self, key: str) -> QByteArray | None:
        value = self._s.value(f"window/{key}")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, key: str, value: QByteArray) -> None:
        self._s.setValue(f"window/{key}", value)

    def sync(self) -> None:
        self._s.sync()
