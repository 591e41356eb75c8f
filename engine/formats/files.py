"""Reading and writing whole files through the registries.

:func:`open_documents` yields the checked documents of a file one at a time (JSON Lines is
streamed, so memory stays at one record); :func:`read_file` collects them. Every problem is a
:class:`FormatError` with the path and, where there is one, the line. Only regular files are
read (see :mod:`engine.formats.source`).

:func:`write_file` writes atomically to regular files, through symlinks at their real path,
directly to FIFOs and devices, and to standard output for ``-``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.errors import FormatError
from engine.types import DocumentData

from .registry import READERS, WRITERS, ReadContext, Reader
from .source import BOM, check_regular, open_regular, read_text
from .validate import check_document

log = logging.getLogger(__name__)

_HEAD_BYTES = 64 * 1024
_HEAD_MAX_BYTES = 16 * 1024 * 1024
STDOUT = "-"


def _head(path: Path) -> str:
    """The first 64 KB, extended to the end of the first non-blank line (up to 16 MB) so a
    JSON Lines file with one long first record can still be recognised."""
    try:
        with open_regular(path) as f:
            data = f.read(_HEAD_BYTES)
            while len(data) < _HEAD_MAX_BYTES and b"\n" not in data.lstrip():
                more = f.read(_HEAD_BYTES)
                if not more:
                    break
                data += more
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    text = data.decode("utf-8", errors="replace")
    return text[1:] if text.startswith(BOM) else text


def detect_format(path: Path) -> str:
    """The reader name for ``path``, from its extension and its first 64 KB.

    A folder, a ``.ann`` file, or a ``.txt`` file with a ``.ann`` beside it is brat. Readers
    that claim the extension compete on how well the content matches (a ``.txt`` file is CoNLL
    when its lines look like ``TOKEN TAG``, plain text otherwise); if none claims it, every
    reader does. Raises FormatError when nothing matches.
    """
    path = Path(path)
    for reader in READERS.values():
        if reader.claims is not None and reader.claims(path):
            return reader.name
    if path.is_dir():
        raise FormatError(
            "is a folder without brat (.ann) or WebAnno (.tsv) files; name the files to import",
            path=path,
        )
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
        raise FormatError(
            f"unknown import format {fmt!r}; choose one of: " + ", ".join(READERS), path=path
        ) from None


def open_documents(
    path: Path,
    fmt: str | None = None,
    *,
    max_bytes: int | None = None,
    strict: bool = True,
    options: dict[str, Any] | None = None,
) -> tuple[ReadContext, Iterator[DocumentData]]:
    """The read context and an iterator over the checked documents of ``path``.

    Nothing is read until the iterator is consumed (except for detection). What the reader
    counted but did not keep is in ``ctx.notes`` / ``ctx.warnings()`` once it is exhausted.
    """
    path = Path(path)
    if fmt is None:
        reader = READERS[detect_format(path)]  # checks that the file is a regular one
    else:
        reader = _reader(fmt, path)
        if reader.claims is None:  # brat checks the files of its pair itself
            check_regular(path)
    opts = dict(options or {})
    opts.setdefault("max_bytes", max_bytes)
    ctx = ReadContext(path=path, strict=strict, options=opts)
    return ctx, _checked(reader, path, ctx, max_bytes)


def _checked(
    reader: Reader, path: Path, ctx: ReadContext, max_bytes: int | None
) -> Iterator[DocumentData]:
    count = 0
    try:
        if reader.read_path is not None:
            docs: Iterable[DocumentData] = reader.read_path(path, ctx)
        else:
            text = read_text(path, max_bytes)
            if not text.strip():
                raise FormatError("empty file", path=path)
            assert reader.read is not None
            docs = reader.read(text, ctx)
        for doc in docs:
            check_document(doc, ctx)
            count += 1
            yield doc
    except FormatError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        # A reader checks what it reads; this net turns a case it missed into a message.
        log.debug("reader %s failed on %s", reader.name, path, exc_info=True)
        raise FormatError(
            f"cannot read as {reader.name}: {type(exc).__name__}: {exc}", path=path
        ) from exc
    if not count:
        raise FormatError(f"no documents found (read as {reader.name})", path=path)


def read_file(
    path: Path,
    fmt: str | None = None,
    *,
    max_bytes: int | None = None,
    strict: bool = True,
    options: dict[str, Any] | None = None,
) -> list[DocumentData]:
    """Read and check every document of ``path``; ``fmt`` None detects the format.

    ``max_bytes`` refuses larger files (counting the bytes read, not trusting the size the
    file system reports). ``strict=False`` lets CoNLL files with stray ``I-`` tags through.
    ``options``: ``tag_names`` (list of tag names for integer ``ner_tags``).
    Raises FormatError (path, line and what is wrong) for anything it cannot read: bad
    encoding, bad JSON, wrong types, spans outside the text, empty or reversed or overlapping
    spans, unknown tags, an empty file, a file that is not a regular file.
    """
    _, docs = open_documents(path, fmt, max_bytes=max_bytes, strict=strict, options=options)
    return list(docs)


def write_file(
    docs: Iterable[DocumentData], path: Path, fmt: str, *, labels: Sequence[str] = ()
) -> int:
    """Write ``docs`` to ``path`` as ``fmt``; returns the documents/records written.

    ``labels`` orders the label set where the format needs one (``hf`` tag ids). A regular
    file is written to a temporary file in the same folder and renamed over ``path`` (through
    a symlink: at the link's real target, which stays a link), so a failure leaves any previous
    file untouched; a FIFO or device is written directly, and ``-`` is standard output.
    Raises FormatError for an unknown format or content the format cannot hold.
    """
    path = Path(path)
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise FormatError(
            f"unknown export format {fmt!r}; choose one of: " + ", ".join(WRITERS), path=path
        ) from None
    if str(path) == STDOUT and not writer.stdout:
        raise FormatError(
            f"the {fmt} writer writes more than one file; give a path, not -", path=path
        )
    try:
        return writer.write(docs, path, labels)
    except FormatError as exc:
        if exc.path is None:
            raise FormatError(exc.reason, path=path, line=exc.line) from None
        raise
    except UnicodeEncodeError as exc:
        raise FormatError(
            f"text cannot be written as UTF-8: {exc.reason} ({exc.object[exc.start : exc.end]!r})",
            path=path,
        ) from None
    except ValueError as exc:  # json refuses NaN and the like in metadata
        raise FormatError(f"cannot write as {fmt}: {exc}", path=path) from None
    except OSError as exc:
        raise FormatError(f"cannot write the file: {exc.strerror or exc}", path=path) from None
