"""Reading and writing whole files through the registries.

:func:`read_file` reads and checks a whole file before returning, so the caller can store it
all-or-nothing; every problem it finds is a :class:`FormatError` with the path and, where there
is one, the line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from engine.errors import FormatError
from engine.types import DocumentData

from .registry import READERS, WRITERS, ReadContext, Reader
from .validate import check_document

log = logging.getLogger(__name__)

_HEAD_BYTES = 64 * 1024
_HEAD_MAX_BYTES = 16 * 1024 * 1024
_BOM = "\ufeff"


def _size(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} bytes"


def _read_bytes(path: Path, max_bytes: int | None) -> bytes:
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise FormatError(f"file is {_size(size)}; the limit is {_size(max_bytes)}",
                              path=path)
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}", path=path) from None


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 text without its BOM; invalid bytes are reported with their line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        hint = ""
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = " (it looks like UTF-16)"
        raise FormatError(f"not valid UTF-8{hint}: byte 0x{data[exc.start]:02x} at byte offset "
                          f"{exc.start}; save the file as UTF-8", path=path, line=line) from None
    return text[1:] if text.startswith(_BOM) else text


def _head(path: Path) -> str:
    """The first 64 KB, extended to the end of the first non-blank line (up to 16 MB) so a
    JSON Lines file with one long first record can still be recognised."""
    try:
        with path.open("rb") as f:
            data = f.read(_HEAD_BYTES)
            while len(data) < _HEAD_MAX_BYTES and b"\n" not in data.lstrip():
                more = f.read(_HEAD_BYTES)
                if not more:
                    break
                data += more
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    text = data.decode("utf-8", errors="replace")
    return text[1:] if text.startswith(_BOM) else text


def detect_format(path: Path) -> str:
    """The reader name for ``path``, from its extension and its first 64 KB.

    Readers that claim the extension compete on how well the content matches (a ``.txt`` file
    is CoNLL when its lines look like ``TOKEN TAG``, plain text otherwise); if none claims it,
    every reader does. Raises FormatError when nothing matches.
    """
    path = Path(path)
    head = _head(path)
    ext = path.suffix.lower()
    claimed = [r for r in READERS.values() if ext and ext in r.extensions]
    candidates = claimed or list(READERS.values())
    scored = [(r.sniff(head), -i, r) for i, r in enumerate(candidates)]
    score, _, best = max(scored, key=lambda t: (t[0], t[1]))
    if score > 0:
        return best.name
    if claimed:  # e.g. a .jsonl file broken on line 1: read it as JSONL to report the line
        return claimed[0].name
    raise FormatError("unknown file format; choose one of: " + ", ".join(READERS), path=path)


def _reader(fmt: str, path: Path) -> Reader:
    try:
        return READERS[fmt]
    except KeyError:
        raise FormatError(f"unknown import format {fmt!r}; choose one of: "
                          + ", ".join(READERS), path=path) from None


def read_file(path: Path, fmt: str | None = None, *, max_bytes: int | None = None,
              strict: bool = True) -> list[DocumentData]:
    """Read and check every document of ``path``; ``fmt`` None detects the format.

    ``max_bytes`` refuses larger files before reading them. ``strict=False`` lets CoNLL files
    with stray ``I-`` tags (IOB2/BIOES) through, starting an entity there.
    Raises FormatError (path, line and what is wrong) for anything it cannot read: bad
    encoding, bad JSON, wrong types, spans outside the text, empty or reversed or overlapping
    spans, unknown tags, an empty file.
    """
    path = Path(path)
    reader = _reader(fmt, path) if fmt is not None else None
    data = _read_bytes(path, max_bytes)
    text = _decode(data, path)
    if not text.strip():
        raise FormatError("empty file", path=path)
    if reader is None:
        reader = READERS[detect_format(path)]
    ctx = ReadContext(path=path, strict=strict)
    try:
        docs = reader.read(text, ctx)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        # A reader checks what it reads; this net turns a case it missed into a message.
        log.debug("reader %s failed on %s", reader.name, path, exc_info=True)
        raise FormatError(f"cannot read as {reader.name}: {type(exc).__name__}: {exc}",
                          path=path) from exc
    if not docs:
        raise FormatError(f"no documents found (read as {reader.name})", path=path)
    for doc in docs:
        check_document(doc, ctx)
    return docs


def write_file(docs: Iterable[DocumentData], path: Path, fmt: str, *,
               labels: Sequence[str] = ()) -> int:
    """Write ``docs`` to ``path`` as ``fmt``, atomically; returns the documents/records written.

    ``labels`` orders the label set where the format needs one (``hf`` tag ids). The file is
    written to a temporary file in the same folder and renamed over ``path``, so a failure
    leaves any previous file untouched. Raises FormatError for an unknown format or content
    the format cannot hold.
    """
    path = Path(path)
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise FormatError(f"unknown export format {fmt!r}; choose one of: "
                          + ", ".join(WRITERS), path=path) from None
    try:
        return writer.write(docs, path, labels)
    except FormatError as exc:
        if exc.path is None:
            raise FormatError(exc.reason, path=path, line=exc.line) from None
        raise
    except UnicodeEncodeError as exc:
        raise FormatError(f"text cannot be written as UTF-8: {exc.reason} "
                          f"({exc.object[exc.start:exc.end]!r})", path=path) from None
    except ValueError as exc:  # json refuses NaN and the like in metadata
        raise FormatError(f"cannot write as {fmt}: {exc}", path=path) from None
    except OSError as exc:
        raise FormatError(f"cannot write the file: {exc.strerror or exc}", path=path) from None
