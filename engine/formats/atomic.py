"""Write a file through a temporary file in the same folder, then rename it into place.

A crash or an error while writing leaves the previous file (or no file) behind, never half of
one: ``os.replace`` is atomic on the same file system. Targets that are not regular files are
not replaced: ``-`` is standard output, a FIFO or a device (``/dev/stdout`` → a pipe or a
terminal) is opened and written directly, and a symlink is written through, atomically at the
real path it points to, so it stays a symlink.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

STDOUT = "-"


def is_stdout(path: Path | str) -> bool:
    return str(path) == STDOUT


def real_target(path: Path) -> Path:
    """Where a write to ``path`` lands: the end of its symlink chain (which may not exist)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@contextlib.contextmanager
def atomic_text_writer(path: Path) -> Iterator[TextIO]:
    """Yield a UTF-8 text stream (``\\n`` newlines) for ``path``; for a regular file (or a new
    one) it replaces ``path`` only when the block succeeds."""
    if is_stdout(path):
        with _stdout() as out:
            yield out
        return
    try:
        mode = os.stat(path).st_mode  # follows symlinks
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "is a folder", str(path))
        with open(path, "w", encoding="utf-8", newline="") as out:
            yield out
        return
    target = real_target(path)
    folder = target.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, mode & 0o777 if mode is not None else 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _stdout() -> Iterator[TextIO]:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # replaced by a text-only stream (tests capturing output)
        yield sys.stdout
        sys.stdout.flush()
        return
    sys.stdout.flush()
    out = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=False)
    try:
        yield out
        out.flush()
    finally:
        out.detach()
