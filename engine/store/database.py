"""SQLite access for one project: one connection per thread, explicit transactions.

Writes run in ``BEGIN IMMEDIATE`` transactions (so a writer never fails half-way on a lock);
reads that must be consistent (training snapshots) run in one read transaction. SQLite errors
that a person can act on (disk full, read-only, locked) become :mod:`engine.errors` exceptions.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import (
    ConflictError,
    CorruptDatabaseError,
    DiskFullError,
    ReadOnlyProjectError,
    StoreError,
    write_failure,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
#: SQLite error names that mean "could not write" (a full disk), never "the file is damaged"
CANNOT_WRITE = frozenset(
    {
        "SQLITE_FULL",
        "SQLITE_IOERR_SHMSIZE",
        "SQLITE_IOERR_SHMOPEN",
        "SQLITE_IOERR_SHMMAP",
        "SQLITE_IOERR_WRITE",
        "SQLITE_IOERR_TRUNCATE",
        "SQLITE_IOERR_FSYNC",
    }
)


# positional or named SQL parameters
Params = tuple[Any, ...] | dict[str, Any]


def translate_error(exc: sqlite3.Error, path: Path | None = None) -> StoreError:
    """Map a sqlite3 error to the engine's exception family with an actionable message.

    With ``path`` (the database), a failed write names the file it could not write.
    """
    text = str(exc).lower()
    if path is not None and ("full" in text or "disk i/o" in text):
        return write_failure(exc, path, "the project database", "the last change was not saved")
    if "full" in text:
        return DiskFullError(
            "the disk is full (or the project's size limit was reached); "
            "the last change was not saved"
        )
    if "readonly" in text or "read-only" in text:
        return ReadOnlyProjectError("the project is read-only; the last change was not saved")
    if isinstance(exc, sqlite3.IntegrityError):
        return ConflictError(f"the change conflicts with stored data: {exc}")
    if "locked" in text or "busy" in text:
        return StoreError("the project database is busy in another process; try again")
    if "malformed" in text or "not a database" in text:
        return StoreError(f"the project database is damaged: {exc}")
    return StoreError(f"database error: {exc}")


class Database:
    """Thread-local connections to one SQLite file."""

    def __init__(self, path: Path, *, read_only: bool = False, max_pages: int | None = None):
        self.path = Path(path)
        self.read_only = read_only
        self.max_pages = max_pages
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    # -- connections ---------------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.read_only:
                uri = self.path.resolve().as_uri() + "?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(
                    str(self.path), isolation_level=None, check_same_thread=False
                )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.read_only:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                if self.max_pages is not None:
                    conn.execute(f"PRAGMA max_page_count = {int(self.max_pages)}")
        except sqlite3.DatabaseError as exc:
            raise CorruptDatabaseError(self.path, str(exc)) from exc
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:  # closing a dead connection: nothing left to protect
                    log.debug("closing connection failed", exc_info=True)
            self._all.clear()
        self._local = threading.local()

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); rolled back on any exception."""
        if self.read_only:
            raise ReadOnlyProjectError("the project is open read-only; nothing was changed")
        conn = self.connection()
        if conn.in_transaction:
            # nested use joins the outer transaction
            yield conn
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise translate_error(exc, self.path) from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise translate_error(exc, self.path) from exc

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same snapshot.

        A ``sqlite3.Error`` raised inside becomes an :mod:`engine.errors` exception here, at the
        store's boundary, so callers above the store never see ``sqlite3``.
        """
        try:
            conn = self.connection()
            if conn.in_transaction:
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc

    def leave_wal(self) -> None:
        """Checkpoint the write-ahead log and leave WAL mode: one self-contained file, safe
        to rename into place (a new project is created under a temporary name)."""
        self.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.connection().execute("PRAGMA journal_mode = DELETE")

    def execute_write(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        with self.write() as conn:
            return self._run(conn, sql, params)

    def execute_read(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """One statement on this thread's connection, outside a transaction of its own;
        a ``sqlite3.Error`` becomes an :mod:`engine.errors` exception."""
        return self._run(self.connection(), sql, params)

    def _run(self, conn: sqlite3.Connection, sql: str, params: Params) -> sqlite3.Cursor:
        try:
            return conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc

    # -- maintenance ---------------------------------------------------------------------------
    def backup_to(self, dest: Path) -> None:
        """Copy the database with SQLite's online backup API into ``dest`` (atomically)."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        tmp.unlink(missing_ok=True)
        target = sqlite3.connect(str(tmp))
        try:
            self.connection().backup(target)
            # a standalone file: opening the backup later leaves no -wal/-shm beside it
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        tmp.replace(dest)


def integrity_problem(path: Path, *, full: bool = False) -> str | None:
    """Return a description of the damage in the database at ``path``, or None when it is ok.

    Opens the file read-only so a damaged database is never written to. Raises DiskFullError
    when SQLite cannot even create the files it needs to read (a full disk).
    """
    try:
        conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    # the report can quote damaged bytes (names from a corrupt schema page): never fail on them
    conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        pragma = "integrity_check" if full else "quick_check"
        rows = conn.execute(f"PRAGMA {pragma}").fetchall()
        result = "; ".join(str(r[0]) for r in rows[:5])
        return None if result == "ok" else result
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "") in CANNOT_WRITE:
            # reading a WAL database writes its -shm file: a full disk is not damage
            raise write_failure(
                exc, str(path) + "-shm", "the shared-memory file", "the project was not opened"
            ) from exc
        return str(exc)
    except UnicodeDecodeError:  # SQLite's own error message quoted the damaged bytes
        return "the database structure is damaged (SQLite's report is unreadable)"
    finally:
        conn.close()
