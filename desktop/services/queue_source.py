"""Pages of the labelling queue, in active-learning order when the engine has one.

The engine keeps a stored order (``Project.queue_page``); until a project has been scored,
segments come in import order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.types import Segment

if TYPE_CHECKING:
    from engine.api import Project, QueueItem

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


def _from_item(item: QueueItem) -> QueueRow:
    return QueueRow(
        segment_id=item.segment_id,
        text=item.text,
        status=item.status,
        score=item.score,
        is_eval=item.is_eval,
        priority=item.priority,
    )


def _from_segment(seg: Segment) -> QueueRow:
    return QueueRow(
        segment_id=seg.id, text=seg.text, status=seg.status, is_eval=seg.split == "eval"
    )


class QueueSource:
    """Reads the queue of one project (GUI thread: each page is one indexed query)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def page(
        self,
        offset: int,
        limit: int,
        *,
        status: str | None = None,
        search: str | None = None,
        after: float | None = None,
    ) -> list[QueueRow]:
        """Rows ``offset`` … ``offset + limit``; with ``after`` (the ``priority`` of the row just
        before ``offset``) the engine seeks by cursor, as fast deep in the queue as at its top."""
        if status == "review":  # the last review's list, most likely wrong first
            return self._review_rows(search)[offset : offset + limit]
        items = self.project.queue_page(
            0 if after is not None else offset, limit, status=status, search=search, after=after
        )
        return [_from_item(i) for i in items]

    def _review_rows(self, search: str | None) -> list[QueueRow]:
        needle = (search or "").lower()
        return [
            QueueRow(int(i["segment_id"]), str(i["text"]), "labelled", float(i["score"]))
            for i in self.project.review_items()
            if needle in str(i["text"]).lower()
        ]

    def count(self, *, status: str | None = None, search: str | None = None) -> int:
        if status == "review":
            return len(self._review_rows(search))
        return int(self.project.count_segments(status=status, search=search))

    def row(self, segment_id: int) -> QueueRow:
        return _from_segment(self.project.segment(segment_id))

    def next_todo(self, exclude: int | None = None) -> int | None:
        """The first segment still to label in queue order (other than ``exclude``)."""
        for row in self.page(0, 2, status="todo"):
            if row.segment_id != exclude:
                return row.segment_id
        return None
