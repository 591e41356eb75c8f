"""Refuse a Qt binding that leaks references to ``None``.

PySide6/shiboken6 6.12.0 on Python 3.11 drops one reference to ``None`` in every binding call that
returns ``None`` (``QModelIndex.data()`` for an unset role, ``QStyleOptionViewItem.widget``,
``QStyledItemDelegate.initStyleOption``, ``Signal.disconnect()``). ``None`` is not immortal before
Python 3.12, so after a few thousand painted rows the interpreter aborts with ``none_dealloc``.
pyproject keeps that release out; this probe catches any other install that has the bug, before
the app starts drawing, and says what to do.
"""

from __future__ import annotations

import sys

PROBE_CALLS = 500


def none_refs_lost(calls: int = PROBE_CALLS) -> int:
    """How many references to ``None`` ``calls`` binding calls that return ``None`` dropped."""
    from PySide6.QtCore import QModelIndex, Qt

    index = QModelIndex()
    role = Qt.ItemDataRole.UserRole + 7
    before = sys.getrefcount(None)
    for _ in range(calls):
        index.data(role)  # returns None: an invalid index holds no data
    return max(0, before - sys.getrefcount(None))


def binding_problem() -> str | None:
    """A one-line message if the installed binding leaks ``None``, else ``None``."""
    if sys.version_info >= (3, 12):
        return None  # None is immortal: the leak cannot free it
    lost = none_refs_lost()
    if lost < PROBE_CALLS // 2:
        return None
    import PySide6

    return (
        f"PySide6 {PySide6.__version__} leaks references to None on Python "
        f"{sys.version_info.major}.{sys.version_info.minor} ({lost} in {PROBE_CALLS} calls) "
        "and would crash the app; install another release: "
        "pip install 'PySide6-Essentials>=6.6,!=6.12.0'"
    )
