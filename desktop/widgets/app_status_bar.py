"""Status bar: labelled/total, entities per label, active model, running job, save state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from desktop.widgets.elided_label import ElidedLabel


def _plain_label(tooltip: str) -> QLabel:
    label = ElidedLabel()
    label.setToolTip(tooltip)
    label.setContentsMargins(6, 0, 6, 0)
    return label


class AppStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress_label = _plain_label("Segments labelled / all segments")
        self.entities_label = _plain_label("Accepted entities per label")
        self.model_label = _plain_label("The active model version")
        self.job_label = _plain_label("The job running in the background")
        self.saved_label = _plain_label("Every change is saved the moment you make it")
        for widget in (self.progress_label, self.entities_label):
            self.addWidget(widget)
        for widget in (self.job_label, self.model_label, self.saved_label):
            self.addPermanentWidget(widget)
        self.set_saved(True)

    def show_stats(self, stats: Mapping[str, Any] | None) -> None:
        if not stats:
            for widget in (
                self.progress_label,
                self.entities_label,
                self.model_label,
                self.saved_label,
            ):
                widget.clear()
            return
        by_status = stats.get("segments_by_status", {})
        total = int(stats.get("segments", 0))
        self.progress_label.setText(f"Labelled {by_status.get('labelled', 0):,} / {total:,}")
        per_label = stats.get("spans_by_label", {})
        self.entities_label.setText("  ·  ".join(f"{k} {v:,}" for k, v in per_label.items()))
        active = stats.get("active_version")
        self.model_label.setText(f"Model {active}" if active else "No model")

    def set_job(self, text: str) -> None:
        self.job_label.setText(text)

    def set_saved(self, saved: bool, read_only: bool = False) -> None:
        if read_only:
            self.saved_label.setText("Read-only")
            self.saved_label.setStyleSheet("color: #B06000; font-weight: bold;")
        elif saved:
            self.saved_label.setText("✓ All changes saved")
            self.saved_label.setStyleSheet("color: #2E7D32;")
        else:
            self.saved_label.setText("✗ Last change NOT saved")
            self.saved_label.setStyleSheet("color: #C62828; font-weight: bold;")
