"""The registries of import readers and export writers, filled by decorators.

A reader turns the decoded text of a whole file into documents; a writer writes documents to a
path. Each format module registers itself with :func:`register_reader` / :func:`register_writer`;
``engine.formats`` imports every format module so the registries are complete on import.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import FormatError
from engine.types import DocumentData


@dataclass(frozen=True)
class ReadContext:
    """What a reader knows besides the text: the file (for error messages) and options.

    ``options`` carries reader options (``tag_names`` for integer tags, ``max_bytes``).
    ``notes`` counts what a reader read but did not keep (``ctx.note("relations", 3)``); the
    importer reports each count as a warning naming the file.
    """

    path: Path
    strict: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    notes: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def error(self, message: str, line: int | None = None) -> FormatError:
        """A :class:`FormatError` about this file, to ``raise``."""
        return FormatError(message, path=self.path, line=line)

    def note(self, what: str, count: int = 1) -> None:
        """Count something read but not kept (e.g. ``"relations (R lines) not kept"``)."""
        if count:
            self.notes[what] += count

    def say(self, message: str) -> None:
        """Report ``message`` (once) as a warning about this file."""
        if message not in self.messages:
            self.messages.append(message)

    def warnings(self) -> list[str]:
        """The notes as ``"FILE: N what"`` lines, in the order first noted, then messages."""
        return [f"{self.path.name}: {n} {what}" for what, n in self.notes.items()] + [
            f"{self.path.name}: {m}" for m in self.messages
        ]


ReadFunc = Callable[[str, ReadContext], Iterable[DocumentData]]
PathReadFunc = Callable[[Path, ReadContext], Iterable[DocumentData]]
SniffFunc = Callable[[str], float]
WriteFunc = Callable[[Iterable[DocumentData], Path, Sequence[str]], int]


@dataclass(frozen=True)
class Reader:
    """A registered import format.

    ``sniff(head)`` scores (0 to 1) how much the first characters of a file look like this
    format; :func:`engine.formats.detect_format` picks the best score. A reader with
    ``read_path`` opens the file itself (binary documents, brat pairs, streamed JSON Lines);
    ``read`` is then unused and may be None.
    """

    name: str
    read: ReadFunc | None
    extensions: tuple[str, ...]
    sniff: SniffFunc
    description: str
    read_path: PathReadFunc | None = None
    binary: bool = False
    claims: Callable[[Path], bool] | None = None


@dataclass(frozen=True)
class Writer:
    """A registered export format; ``write(docs, path, labels)`` returns the records written.

    ``stdout`` says the writer writes one stream, so ``-`` (standard output) is allowed.
    """

    name: str
    write: WriteFunc
    extension: str
    description: str
    stdout: bool = True


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


def register_path_reader(
    name: str,
    *,
    extensions: Sequence[str] = (),
    sniff: SniffFunc | None = None,
    description: str = "",
    binary: bool = False,
    claims: Callable[[Path], bool] | None = None,
) -> Callable[[PathReadFunc], PathReadFunc]:
    """Register the decorated ``read(path, ctx) -> Iterable[DocumentData]`` under ``name``.

    ``binary`` readers (PDF, DOCX) get no text head to sniff: they are chosen by extension or
    by a sniff of the head (decoded with replacement characters). ``claims(path)`` lets a
    reader take a path before any sniffing (brat: a folder, a ``.ann``, a ``.txt`` beside one).
    """

    def decorate(func: PathReadFunc) -> PathReadFunc:
        if name in READERS:
            raise ValueError(f"reader {name!r} is already registered")
        exts = tuple(e.lower() for e in extensions)
        READERS[name] = Reader(
            name,
            None,
            exts,
            sniff or _never,
            description or name,
            read_path=func,
            binary=binary,
            claims=claims,
        )
        return func

    return decorate


def register_writer(
    name: str, *, extension: str, description: str = "", stdout: bool = True
) -> Callable[[WriteFunc], WriteFunc]:
    """Register the decorated ``write(docs, path, labels) -> int`` under ``name``."""

    def decorate(func: WriteFunc) -> WriteFunc:
        if name in WRITERS:
            raise ValueError(f"writer {name!r} is already registered")
        WRITERS[name] = Writer(name, func, extension, description or name, stdout)
        return func

    return decorate


def reader_names() -> list[str]:
    """Names of the import formats, in registration order."""
    return list(READERS)


def writer_names() -> list[str]:
    """Names of the export formats, in registration order."""
    return list(WRITERS)


def add_path_reader(name: str) -> Callable[[PathReadFunc], PathReadFunc]:
    """Give the text reader ``name`` a ``read_path`` that opens the file itself (streaming)."""

    def decorate(func: PathReadFunc) -> PathReadFunc:
        reader = READERS[name]
        READERS[name] = Reader(
            reader.name,
            reader.read,
            reader.extensions,
            reader.sniff,
            reader.description,
            read_path=func,
            binary=reader.binary,
            claims=reader.claims,
        )
        return func

    return decorate
