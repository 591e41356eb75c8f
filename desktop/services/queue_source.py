"""Pages of the labelling queue, in active-learning order when the engine has one.

``engine.active_learning`` keeps a stored order (``queue_page``); until a project has been scored,
or where that module is missing, segments come in import order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.api import Project

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueRow:
    segment_id: int
    text: str
    status: str
    score: float | None = None
    is_eval: bool = False
    #: position key of the stored order (None outside it): the cursor for the next page
    priority: float | None = None


def _engine_queue_page(project: Project) -> Callable[..., list[Any]] | None:
    """``Project.queue_page`` when the active-learning part of the engine is installed."""
    try:
        import engine.active_learning  # noqa: F401
    except ImportError:
        log.warning("engine.active_learning is missing: the queue follows import order")
        return None
    return getattr(project, "queue_page", None)


def _row(item: Any) -> QueueRow:
    seg_id = getattr(item, "segment_id", None)
    if seg_id is None:
        seg_id = item.id
    return QueueRow(segment_id=int(seg_id), text=str(item.text), status=str(item.status),
                    score=getattr(item, "score", None),
                    is_eval=bool(getattr(item, "is_eval", getattr(item, "split", "") == "eval")),
                    priority=getattr(item, "priority", None))


class QueueSource:
    """Reads the queue of one project (GUI thread: each page is one indexed query)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._page_fn = _engine_queue_page(project)

    def page(self, offset: int, limit: int, *, status: str | None = None,
             search: str | None = None, after: float | None = None) -> list[QueueRow]:
        """Rows ``offset`` … ``offset + limit``; with ``after`` (the ``priority`` of the row just
        before ``offset``) the engine seeks by cursor, as fast deep in the queue as at its top."""
        if status == "review":  # the last review's list, most likely wrong first
            return self._review_rows(search)[offset:offset + limit]
        if self._page_fn is not None:
            items = self._page_fn(0 if after is not None else offset, limit, status=status,
                                  search=search, after=after)
        else:
            items = self.project.segments(offset=offset, limit=limit, status=status,
                                          search=search)
        return [_row(i) for i in items]

    def _review_rows(self, search: str | None) -> list[QueueRow]:
        needle = (search or "").lower()
        return [QueueRow(int(i["segment_id"]), str(i["text"]), "labelled", float(i["score"]))
                for i in self.project.review_items() if needle in str(i["text"]).lower()]

    def count(self, *, status: str | None = None, search: str | None = None) -> int:
        if status == "review":
            return len(self._review_rows(search))
        return int(self.project.count_segments(status=status, search=search))

    def row(self, segment_id: int) -> QueueRow:
        return _row(self.project.segment(segment_id))

    def next_todo(self, exclude: int | None = None) -> int | None:
        """The first segment still to label in queue order (other than ``exclude``)."""
        for row in self.page(0, 2, status="todo"):
            if row.segment_id != exclude:
                return row.segment_id
        return None
