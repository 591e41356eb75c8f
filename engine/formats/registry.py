"""The registries of import readers and export writers, filled by decorators.

A reader turns the decoded text of a whole file into documents; a writer writes documents to a
path. Each format module registers itself with :func:`register_reader` / :func:`register_writer`;
``engine.formats`` imports every format module so the registries are complete on import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import FormatError
from engine.types import DocumentData


@dataclass(frozen=True)
class ReadContext:
    """What a reader knows besides the text: the file (for error messages) and options."""

    path: Path
    strict: bool = True

    def error(self, message: str, line: int | None = None) -> FormatError:
        """A :class:`FormatError` about this file, to ``raise``."""
        return FormatError(message, path=self.path, line=line)


ReadFunc = Callable[[str, ReadContext], list[DocumentData]]
SniffFunc = Callable[[str], float]
WriteFunc = Callable[[Iterable[DocumentData], Path, Sequence[str]], int]


@dataclass(frozen=True)
class Reader:
    """A registered import format.

    ``sniff(head)`` scores (0 to 1) how much the first characters of a file look like this
    format; :func:`engine.formats.detect_format` picks the best score.
    """

    name: str
    read: ReadFunc
    extensions: tuple[str, ...]
    sniff: SniffFunc
    description: str


@dataclass(frozen=True)
class Writer:
    """A registered export format; ``write(docs, path, labels)`` returns the records written."""

    name: str
    write: WriteFunc
    extension: str
    description: str


READERS: dict[str, Reader] = {}
WRITERS: dict[str, Writer] = {}


def _never(head: str) -> float:
    return 0.0


def register_reader(
    name: str,
    *,
    extensions: Sequence[str] = (),
    sniff: SniffFunc | None = None,
    description: str = "",
) -> Callable[[ReadFunc], ReadFunc]:
    """Register the decorated ``read(text, ctx) -> list[DocumentData]`` under ``name``."""

    def decorate(func: ReadFunc) -> ReadFunc:
        if name in READERS:
            raise ValueError(f"reader {name!r} is already registered")
        exts = tuple(e.lower() for e in extensions)
        READERS[name] = Reader(name, func, exts, sniff or _never, description or name)
        return func

    return decorate


def register_writer(
    name: str, *, extension: str, description: str = ""
) -> Callable[[WriteFunc], WriteFunc]:
    """Register the decorated ``write(docs, path, labels) -> int`` under ``name``."""

    def decorate(func: WriteFunc) -> WriteFunc:
        if name in WRITERS:
            raise ValueError(f"writer {name!r} is already registered")
        WRITERS[name] = Writer(name, func, extension, description or name)
        return func

    return decorate


def reader_names() -> list[str]:
    """Names of the import formats, in registration order."""
    return list(READERS)


def writer_names() -> list[str]:
    """Names of the export formats, in registration order."""
    return list(WRITERS)
