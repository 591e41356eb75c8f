"""The one exception family of the engine.

Every error a person can cause or act on is an :class:`EngineError`; its message is written for
that person, and the data behind it is kept as attributes so the desktop and the CLI can show it
their own way.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
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

    def __init__(
        self, path: str | Path, holder: str = "", hint: str = "close it there or open read-only"
    ):
        self.path = str(path)
        self.holder = holder
        who = f" by {holder}" if holder else ""
        super().__init__(f"{self.path} is open in another Spantune{who}; {hint}")


class ReadOnlyProjectError(StoreError):
    """A write was attempted on a project opened read-only or on a read-only disk."""


class DiskFullError(StoreError):
    """The disk (or the database's size limit) is full; the write was not saved."""


_FULL_MARKERS = (
    "no space left",
    "storagefull",
    "file too large",
    "disk is full",
    "database or disk is full",
    "quota exceeded",
    "os error 28",
    "os error 27",
)
_WRITE_MARKERS = (
    *_FULL_MARKERS,
    "disk i/o error",
    "ioerror",
    "permission denied",
    "read-only file system",
)


def is_disk_full(exc: BaseException) -> bool:
    """True for "no space" (ENOSPC), "file too large" (EFBIG, a size limit) and quota errors."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    return any(m in str(exc).lower() for m in _FULL_MARKERS)


def write_failure(
    exc: BaseException, path: str | Path, what: str, outcome: str = "nothing was changed"
) -> StoreError:
    """One line for a write that failed: what could not be written, where, and why."""
    cls = DiskFullError if is_disk_full(exc) else StoreError
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    reason = " ".join(reason.split())[:200]
    code = getattr(exc, "sqlite_errorname", "")
    if code.startswith("SQLITE_IOERR_"):  # EFBIG (a file size limit) lands here, not in FULL
        reason = (
            f"{reason} ({code[len('SQLITE_IOERR_') :].lower()} failed: is the disk full "
            "or a size limit reached?)"
        )
    if cls is DiskFullError:
        reason = f"the disk is full or a size limit was reached ({reason})"
    return cls(f"could not write {what} {path}: {reason}; {outcome}")


@contextmanager
def writing(path: str | Path, what: str) -> Iterator[None]:
    """Turn an OS-level write failure inside the block into :func:`write_failure`.

    Engine errors pass through; so do exceptions that are not about writing (a bug stays a bug).
    """
    try:
        yield
    except EngineError:
        raise
    except Exception as exc:
        if isinstance(exc, OSError) or any(m in str(exc).lower() for m in _WRITE_MARKERS):
            raise write_failure(exc, path, what) from exc
        raise


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
