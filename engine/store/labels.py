"""Labels: name, colour, hotkey and order."""

from __future__ import annotations

import sqlite3
from typing import Any

import regex

from engine.errors import ConflictError, NotFoundError, ValidationError
from engine.label_names import check_label_name
from engine.store.database import Database
from engine.types import Label

# Distinct, readable on white, colour-blind friendly first (Okabe-Ito, then Tableau).
PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#4E79A7",
    "#F28E2B",
    "#59A14F",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
)
_COLOR_RE = regex.compile(r"^#[0-9A-Fa-f]{6}$")
HOTKEYS = tuple("123456789")


def _row(r: sqlite3.Row | tuple[Any, ...]) -> Label:
    return Label(id=r[0], name=r[1], color=r[2], hotkey=r[3], position=r[4])


def validate_name(name: object) -> str:
    """``name`` if it follows the label-name rule (:mod:`engine.label_names`), else
    ValidationError."""
    return check_label_name(name)


def validate_color(color: str) -> str:
    if not _COLOR_RE.match(color or ""):
        raise ValidationError(f"{color!r} is not a colour like #1f77b4", field="color")
    return color.upper()


def validate_hotkey(hotkey: str | None) -> str | None:
    if hotkey in (None, ""):
        return None
    if hotkey not in HOTKEYS:
        raise ValidationError(f"{hotkey!r} is not a hotkey; use 1-9", field="hotkey")
    return hotkey


def list_labels(conn: sqlite3.Connection) -> list[Label]:
    rows = conn.execute(
        "SELECT id, name, color, hotkey, position FROM labels ORDER BY position, id"
    ).fetchall()
    return [_row(r) for r in rows]


def label_ids(conn: sqlite3.Connection) -> dict[str, int]:
    return {name: i for i, name in conn.execute("SELECT id, name FROM labels")}


def add_label(
    conn: sqlite3.Connection, name: str, color: str | None = None, hotkey: str | None = None
) -> Label:
    """Insert a label (caller holds the write transaction)."""
    name = validate_name(name)
    existing = list_labels(conn)
    if any(lab.name == name for lab in existing):
        raise ConflictError(f"label {name!r} already exists")
    position = max((lab.position for lab in existing), default=-1) + 1
    if color is None:
        used = {lab.color for lab in existing}
        color = next((c for c in PALETTE if c not in used), PALETTE[len(existing) % len(PALETTE)])
    color = validate_color(color)
    if hotkey is None:
        taken = {lab.hotkey for lab in existing}
        hotkey = next((h for h in HOTKEYS if h not in taken), None)
    else:
        hotkey = validate_hotkey(hotkey)
        conn.execute("UPDATE labels SET hotkey = NULL WHERE hotkey = ?", (hotkey,))
    cur = conn.execute(
        "INSERT INTO labels (name, color, hotkey, position) VALUES (?, ?, ?, ?)",
        (name, color, hotkey, position),
    )
    return Label(int(cur.lastrowid or 0), name, color, hotkey, position)


def get_label(conn: sqlite3.Connection, name: str) -> Label:
    r = conn.execute(
        "SELECT id, name, color, hotkey, position FROM labels WHERE name = ?", (name,)
    ).fetchone()
    if r is None:
        raise NotFoundError(f"no label named {name!r}")
    return _row(r)


class LabelStore:
    """Label operations, each in its own write transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get_all(self) -> list[Label]:
        with self.db.read() as conn:
            return list_labels(conn)

    def add(self, name: str, color: str | None = None, hotkey: str | None = None) -> Label:
        with self.db.write() as conn:
            return add_label(conn, name, color, hotkey)

    def rename(self, old: str, new: str) -> Label:
        new = validate_name(new)
        with self.db.write() as conn:
            lab = get_label(conn, old)
            if new != old and conn.execute("SELECT 1 FROM labels WHERE name=?", (new,)).fetchone():
                raise ConflictError(f"label {new!r} already exists")
            conn.execute("UPDATE labels SET name = ? WHERE id = ?", (new, lab.id))
            conn.execute("UPDATE suggestions SET label = ? WHERE label = ?", (new, old))
            return get_label(conn, new)

    def set_color(self, name: str, color: str) -> Label:
        color = validate_color(color)
        with self.db.write() as conn:
            lab = get_label(conn, name)
            conn.execute("UPDATE labels SET color = ? WHERE id = ?", (color, lab.id))
            return get_label(conn, name)

    def set_hotkey(self, name: str, hotkey: str | None) -> Label:
        hotkey = validate_hotkey(hotkey)
        with self.db.write() as conn:
            lab = get_label(conn, name)
            if hotkey is not None:
                conn.execute("UPDATE labels SET hotkey = NULL WHERE hotkey = ?", (hotkey,))
            conn.execute("UPDATE labels SET hotkey = ? WHERE id = ?", (hotkey, lab.id))
            return get_label(conn, name)

    def reorder(self, names: list[str]) -> list[Label]:
        with self.db.write() as conn:
            current = {lab.name for lab in list_labels(conn)}
            if set(names) != current or len(names) != len(current):
                raise ValidationError("the new order must name every label once", field="order")
            for pos, name in enumerate(names):
                conn.execute("UPDATE labels SET position = ? WHERE name = ?", (pos, name))
            return list_labels(conn)

    def usage(self, name: str) -> int:
        with self.db.read() as conn:
            lab = get_label(conn, name)
            row = conn.execute(
                "SELECT COUNT(*) FROM spans WHERE label_id = ?", (lab.id,)
            ).fetchone()
        return int(row[0])

    def remove(self, name: str) -> int:
        """Delete a label and its spans; returns how many spans were deleted."""
        with self.db.write() as conn:
            lab = get_label(conn, name)
            n = conn.execute("SELECT COUNT(*) FROM spans WHERE label_id=?", (lab.id,)).fetchone()
            conn.execute("DELETE FROM spans WHERE label_id = ?", (lab.id,))
            conn.execute("DELETE FROM suggestions WHERE label = ?", (name,))
            conn.execute("DELETE FROM labels WHERE id = ?", (lab.id,))
            return int(n[0])
