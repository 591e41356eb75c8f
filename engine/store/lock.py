"""A per-project lock file so two app instances never write one project at once.

The lock is an OS advisory lock on ``project.lock`` (released by the OS when the process dies,
so a crash never leaves a stale lock); the file holds the holder's pid and host for the message.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import IO

from engine.errors import ProjectLockedError

try:  # POSIX
    import fcntl

    def try_lock_file(fh: IO[str]) -> bool:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def unlock_file(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def try_lock_file(fh: IO[str]) -> bool:
        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False

    def unlock_file(fh: IO[str]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


class ProjectLock:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "project.lock"
        self._fh: IO[str] | None = None

    def acquire(self, hint: str | None = None) -> None:
        """Take the lock; ProjectLockedError (naming the holder, then ``hint``) when taken."""
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        if not try_lock_file(fh):
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            if hint is None:
                raise ProjectLockedError(self.path.parent, holder)
            raise ProjectLockedError(self.path.parent, holder, hint)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            try:
                self._fh.seek(0)
                self._fh.truncate()
                unlock_file(self._fh)
            finally:
                self._fh.close()
                self._fh = None

    @property
    def held(self) -> bool:
        return self._fh is not None
