"""Project settings: one JSON value per key in the ``settings`` table."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any


def insert_settings(conn: sqlite3.Connection, values: Mapping[str, Any]) -> None:
    """Store ``values`` in a new project (the keys must not exist yet)."""
    conn.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?)",
        [(k, json.dumps(v)) for k, v in values.items()],
    )


def write_settings(conn: sqlite3.Connection, values: Mapping[str, Any]) -> None:
    """Store ``values``, replacing what the keys held (call inside a write transaction)."""
    conn.executemany(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
        [(k, json.dumps(v)) for k, v in values.items()],
    )


def read_setting(conn: sqlite3.Connection, key: str) -> Any:
    """The stored value of ``key`` (KeyError when it is not stored)."""
    r = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    if r is None:
        raise KeyError(key)
    return json.loads(r[0])
