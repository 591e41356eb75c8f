"""Side by side for a segment on the review list: what is stored and what the model thinks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QWidget

KIND_TEXT = {
    "missing": "missing",
    "extra": "not an entity?",
    "wrong_label": "wrong label?",
    "wrong_boundary": "wrong boundary?",
}


def _plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # file text is never rich text
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


def stored_lines(text: str, spans: Sequence[tuple[int, int, str]]) -> list[str]:
    return [f"{label}  “{text[s:e]}”" for s, e, label in spans] or ["(no spans)"]


def model_lines(item: dict[str, Any]) -> list[str]:
    text = str(item.get("text", ""))
    out = []
    for issue in item.get("issues", []):
        s, e = int(issue["start"]), int(issue["end"])
        what = KIND_TEXT.get(issue["kind"], issue["kind"])
        stored, predicted = issue.get("stored_label"), issue.get("predicted_label")
        change = f"{stored or 'O'} → {predicted or 'O'}"
        out.append(f"{what}: “{text[s:e]}” {change}  ({float(issue['confidence']):.0%})")
    return out or ["(agrees)"]


class ReviewPanel(QFrame):
    """Hidden unless the current segment is on the last review's list."""

    confirm_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = _plain()
        self.title.setStyleSheet("font-weight: bold;")
        self.stored = _plain()
        self.model = _plain()
        self.confirm = QPushButton("Looks right (Ctrl+Shift+Enter)")
        self.confirm.setToolTip("The stored spans are right: take the segment off the list")
        self.confirm.clicked.connect(self.confirm_requested)
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 6, 8, 6)
        grid.addWidget(self.title, 0, 0, 1, 2)
        grid.addWidget(self.confirm, 0, 2)
        head_stored, head_model = _plain("Stored"), _plain("The model disagrees")
        for head in (head_stored, head_model):
            head.setStyleSheet("color: palette(placeholder-text);")
        grid.addWidget(head_stored, 1, 0)
        grid.addWidget(head_model, 1, 1, 1, 2)
        grid.addWidget(self.stored, 2, 0)
        grid.addWidget(self.model, 2, 1, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 2)
        self.setVisible(False)

    def show_item(self, item: dict[str, Any] | None, spans: Sequence[tuple[int, int, str]]) -> None:
        """Show ``item`` (a review item) next to the segment's current ``spans`` (offsets in
        the segment text); None hides the panel."""
        if item is None:
            self.setVisible(False)
            return
        text = str(item.get("text", ""))
        self.title.setText(f"Review · likely wrong: {float(item.get('score', 0)):.0%}")
        self.stored.setText("\n".join(stored_lines(text, spans)))
        self.model.setText("\n".join(model_lines(item)))
        self.setVisible(True)
