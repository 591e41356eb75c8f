"""Every exception the desktop shows is turned into words here, and only here.

:func:`describe` maps an exception to a :class:`UserMessage` (title, what happened and what to do,
technical details for the expandable part of the error dialog). Mappings are registered per
exception type and looked up along the type's MRO, so a subclass can refine its parent's message.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass

from engine import errors as e


@dataclass(frozen=True)
class UserMessage:
    title: str
    text: str
    details: str = ""


Describer = Callable[[BaseException], tuple[str, str]]
_DESCRIBERS: dict[type[BaseException], Describer] = {}


def describes(exc_type: type[BaseException]) -> Callable[[Describer], Describer]:
    def register(func: Describer) -> Describer:
        _DESCRIBERS[exc_type] = func
        return func

    return register


def describe(exc: BaseException, context: str = "") -> UserMessage:
    """The title, message and details to show for ``exc`` (``context``: what was being done)."""
    for klass in type(exc).__mro__:
        func = _DESCRIBERS.get(klass)
        if func is not None:
            title, text = func(exc)
            break
    else:  # pragma: no cover - BaseException is always registered
        title, text = "Error", str(exc)
    if context:
        text = f"{context} failed.\n\n{text}"
    return UserMessage(title, text, details_of(exc))


def details_of(exc: BaseException) -> str:
    """Exception type, attributes and traceback, for the dialog's "Show Details…" part."""
    lines = [f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"]
    for key, value in sorted(vars(exc).items()):
        if not key.startswith("_"):
            lines.append(f"  {key} = {value!r}")
    tb = "".join(traceback.format_exception(exc))
    return "\n".join(lines) + "\n\n" + tb


@describes(BaseException)
def _unexpected(exc: BaseException) -> tuple[str, str]:
    return (
        "Unexpected error",
        f"Something went wrong: {exc or type(exc).__name__}.\n\nYour labels are saved; "
        "the details below help us fix this.",
    )


@describes(e.EngineError)
def _engine(exc: BaseException) -> tuple[str, str]:
    return "Error", str(exc)


@describes(e.FormatError)
def _format(exc: BaseException) -> tuple[str, str]:
    assert isinstance(exc, e.FormatError)
    where = exc.path or "the file"
    if exc.line is not None:
        where += f", line {exc.line}"
    return "Could not read file", f"{where}:\n{exc.reason}\n\nNothing from this file was imported."


@describes(e.StoreError)
def _store(exc: BaseException) -> tuple[str, str]:
    return "Project error", str(exc)


@describes(e.DiskFullError)
def _disk_full(exc: BaseException) -> tuple[str, str]:
    return (
        "Disk full",
        "The change was NOT saved: the disk (or the project's size limit) is full.\n\n"
        "Free some space, then make the change again.",
    )


@describes(e.ReadOnlyProjectError)
def _read_only(exc: BaseException) -> tuple[str, str]:
    return (
        "Project is read-only",
        "The change was NOT saved: this project is open read-only (or its folder cannot be "
        "written).\n\nClose the other Spantune window that has it open, then reopen it.",
    )


@describes(e.ProjectLockedError)
def _locked(exc: BaseException) -> tuple[str, str]:
    return (
        "Project in use",
        f"{exc}\n\nYou can open it read-only to look at it without changing anything.",
    )


@describes(e.CorruptDatabaseError)
def _corrupt(exc: BaseException) -> tuple[str, str]:
    assert isinstance(exc, e.CorruptDatabaseError)
    text = f"The project database is damaged ({exc.detail}). It was not modified."
    if exc.backups:
        text += f"\n\nThe latest backup is {exc.backups[0]}; restore it with 'spantune restore'."
    return "Project damaged", text


@describes(e.SchemaTooNewError)
def _too_new(exc: BaseException) -> tuple[str, str]:
    return "Newer project", str(exc)


@describes(e.ProjectNotFoundError)
def _not_found(exc: BaseException) -> tuple[str, str]:
    return "Not a project", f"{exc}\n\nChoose a folder ending in .spantune."


@describes(e.ProjectExistsError)
def _exists(exc: BaseException) -> tuple[str, str]:
    return "Project exists", f"{exc}\n\nChoose another name or folder."


@describes(e.ConflictError)
def _conflict(exc: BaseException) -> tuple[str, str]:
    return "Not possible", str(exc)


@describes(e.ValidationError)
def _validation(exc: BaseException) -> tuple[str, str]:
    return "Invalid value", str(exc)


@describes(e.TrainingError)
def _training(exc: BaseException) -> tuple[str, str]:
    return "Training failed", f"{exc}\n\nNo model version was written; your labels are intact."


@describes(e.ModelLoadError)
def _model_load(exc: BaseException) -> tuple[str, str]:
    return "Model could not be loaded", str(exc)


@describes(e.ExportValidationError)
def _export_validation(exc: BaseException) -> tuple[str, str]:
    return (
        "Export check failed",
        f"{exc}\n\nThe exported model did not match the trained one; nothing was written.",
    )


@describes(e.AlignmentError)
def _alignment(exc: BaseException) -> tuple[str, str]:
    return "Span cannot be aligned", str(exc)


@describes(ImportError)
def _missing_module(exc: BaseException) -> tuple[str, str]:
    name = getattr(exc, "name", None) or str(exc)
    return (
        "Feature not available",
        f"This part of Spantune is not installed or failed to load ({name}).\n\n"
        "Reinstall Spantune with all its dependencies.",
    )


@describes(MemoryError)
def _memory(exc: BaseException) -> tuple[str, str]:
    return (
        "Out of memory",
        "The computer ran out of memory. Close other programs or use a smaller batch size.",
    )


@describes(OSError)
def _os(exc: BaseException) -> tuple[str, str]:
    assert isinstance(exc, OSError)
    where = f" ({exc.filename})" if exc.filename else ""
    return "File error", f"{exc.strerror or exc}{where}"
