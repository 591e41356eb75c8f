"""Opening files to import: regular files only, read with a size cap that does not trust
``st_size``, decoded as UTF-8 with the line of any bad byte.

A FIFO would block a reader forever and ``/dev/zero`` never ends, so anything that is not a
regular file is refused before it is opened, and every read stops one byte past the cap.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from engine.errors import FormatError

BOM = "\ufeff"
_CHUNK = 1024 * 1024


def size_text(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: Path) -> None:
    """Raise FormatError unless ``path`` is (a link to) a regular file."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    if not stat.S_ISREG(st.st_mode):
        raise FormatError(
            f"is {_kind(st.st_mode)}, not a regular file; only regular files "
            "can be imported (copy the data into a file first)",
            path=path,
        )


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading after checking it is a regular file (before and after
    opening, so a file swapped for a FIFO in between is refused, not waited on)."""
    check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise FormatError(f"is {_kind(st.st_mode)}, not a regular file", path=path)
    return os.fdopen(fd, "rb")


def _check_size(f: BinaryIO, path: Path, max_bytes: int | None) -> None:
    """Refuse at once a file whose reported size is over the cap (the read stays capped too:
    a size of 0 says nothing, e.g. for files in /proc)."""
    size = os.fstat(f.fileno()).st_size
    if max_bytes is not None and size > max_bytes:
        raise FormatError(
            f"file is {size_text(size)}; the limit is {size_text(max_bytes)}", path=path
        )


def _too_big(path: Path, max_bytes: int) -> FormatError:
    return FormatError(
        f"file is larger than the import limit of {size_text(max_bytes)} (setting max_import_mb)",
        path=path,
    )


def read_capped(path: Path, max_bytes: int | None) -> bytes:
    """The bytes of a regular file, refusing it once more than ``max_bytes`` were read."""
    with open_regular(path) as f:
        _check_size(f, path, max_bytes)
        if max_bytes is None:
            try:
                return f.read()
            except OSError as exc:
                raise FormatError(
                    f"cannot read the file: {exc.strerror or exc}", path=path
                ) from None
        parts = []
        total = 0
        while True:
            try:
                chunk = f.read(min(_CHUNK, max_bytes + 1 - total))
            except OSError as exc:
                raise FormatError(
                    f"cannot read the file: {exc.strerror or exc}", path=path
                ) from None
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise _too_big(path, max_bytes)
    return b"".join(parts)


def decode(data: bytes, path: Path, line_offset: int = 0) -> str:
    """UTF-8 text without a leading BOM; invalid bytes are reported with their line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = line_offset + data.count(b"\n", 0, exc.start) + 1
        hint = ""
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = " (it looks like UTF-16)"
        raise FormatError(
            f"not valid UTF-8{hint}: byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start}; save the file as UTF-8",
            path=path,
            line=line,
        ) from None
    return text[1:] if line_offset == 0 and text.startswith(BOM) else text


def read_text(path: Path, max_bytes: int | None) -> str:
    """The whole file as text (regular files only, capped, UTF-8 checked, BOM removed)."""
    return decode(read_capped(path, max_bytes), path)


def iter_lines(path: Path, max_bytes: int | None) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each line, without its ``\\n``, read one line at a time.

    Lines are split on ``\\n`` only. Memory stays at one line; the cap counts every byte read.
    """
    total = 0
    n = 0
    with open_regular(path) as f:
        _check_size(f, path, max_bytes)
        while True:
            limit = -1 if max_bytes is None else max_bytes + 1 - total
            try:
                raw = f.readline(limit)
            except OSError as exc:
                raise FormatError(
                    f"cannot read the file: {exc.strerror or exc}", path=path
                ) from None
            if not raw:
                return
            n += 1
            total += len(raw)
            if max_bytes is not None and total > max_bytes:
                raise _too_big(path, max_bytes)
            text = decode(raw, path, n - 1)
            yield n, text[:-1] if text.endswith("\n") else text
