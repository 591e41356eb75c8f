"""The one exception family of the engine.

Every error a person can cause or act on is an :class:`EngineError`; its message is written for
that person, and the data behind it is kept as attributes so the desktop and the CLI can show it
their own way.
"""

from __future__ import annotations

from pathlib import Path


class EngineError(Exception):
    """Base class of all errors the engine raises on purpose."""


class FormatError(EngineError):
    """A file could not be read: ``path`` and ``line`` (1-based, or None) say where."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path + (f":{line}" if line is not None else "") + ": "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(where + message)


class AlignmentError(EngineError):
    """A character span could not be aligned to tokens."""

    def __init__(self, message: str, *, start: int | None = None, end: int | None = None):
        self.start = start
        self.end = end
        super().__init__(message)


class StoreError(EngineError):
    """The project store refused or failed an operation."""


class ProjectNotFoundError(StoreError):
    """The folder is not a Spantune project."""


class ProjectExistsError(StoreError):
    """A project already exists where a new one was to be created."""


class SchemaTooNewError(StoreError):
    """The project was written by a newer Spantune than this one."""

    def __init__(self, found: int, supported: int):
        self.found = found
        self.supported = supported
        super().__init__(
            f"this project was written by a newer Spantune (schema {found}; this version reads "
            f"up to {supported}); update Spantune to open it"
        )


class CorruptDatabaseError(StoreError):
    """The database failed its integrity check; it is never written to."""

    def __init__(self, path: str | Path, detail: str, backups: list[Path] | None = None):
        self.path = str(path)
        self.detail = detail
        self.backups = list(backups or [])
        hint = f"; latest backup: {self.backups[0]}" if self.backups else ""
        super().__init__(f"{self.path} is damaged ({detail}); it was not modified{hint}")


class ProjectLockedError(StoreError):
    """Another process holds the project open for writing."""

    def __init__(self, path: str | Path, holder: str = ""):
        self.path = str(path)
        self.holder = holder
        who = f" by {holder}" if holder else ""
        super().__init__(
            f"{self.path} is open in another Spantune{who}; close it there or open read-only"
        )


class ReadOnlyProjectError(StoreError):
    """A write was attempted on a project opened read-only or on a read-only disk."""


class DiskFullError(StoreError):
    """The disk (or the database's size limit) is full; the write was not saved."""


class NotFoundError(StoreError):
    """A row (label, span, segment, version) that was asked for does not exist."""


class ConflictError(StoreError):
    """A write conflicts with stored data (overlapping spans, duplicate label names...)."""


class ValidationError(EngineError):
    """A value given by the person is invalid (label name, colour, hotkey, config field)."""

    def __init__(self, message: str, *, field: str | None = None):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class ModelLoadError(EngineError):
    """A base model or model version could not be loaded safely."""


class TrainingError(EngineError):
    """A training run failed; no model version was written."""


class ExportValidationError(EngineError):
    """An ONNX export did not match the torch model; nothing was written."""


class Cancelled(EngineError):
    """A job was cancelled by the person; it cleaned up and changed nothing."""

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)
