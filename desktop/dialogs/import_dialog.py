"""Import: pick files, check the detected format, choose segmentation, preview, import."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import describe
from desktop.services.job_runner import JobRunner
from desktop.services.jobs import FilePreview, ImportOutcome, preview_file
from desktop.services.session import Session
from desktop.widgets.job_status_panel import JobStatusPanel
from engine.api import readers

SEGMENT_MODES = (
    ("Sentences", "sentences"),
    ("Lines / paragraphs", "lines"),
    ("Whole documents", "document"),
)


def reader_choices() -> list[tuple[str, str]]:
    return [(f"{r.description} ({r.name})", r.name) for r in readers()]


DOCUMENT_READERS = ("pdf", "docx", "html", "markdown")


def file_filters() -> str:
    """File-dialog filters from the readers' extensions: annotations, documents, all."""
    try:
        from engine.formats import READERS
    except ImportError:
        return "All files (*)"
    docs = sorted({e for r in READERS.values() if r.name in DOCUMENT_READERS for e in r.extensions})
    other = sorted(
        {e for r in READERS.values() if r.name not in DOCUMENT_READERS for e in r.extensions}
    )
    every = sorted(set(docs) | set(other))
    return ";;".join(
        [
            "All supported files (" + " ".join("*" + e for e in every) + ")",
            "Text and annotations (" + " ".join("*" + e for e in other) + ")",
            "Documents: PDF, Word, web pages, Markdown (" + " ".join("*" + e for e in docs) + ")",
            "All files (*)",
        ]
    )


class ImportDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Import documents")
        self.resize(760, 600)
        self._preview_runner = JobRunner(self)
        self._build_widgets(session)
        self._build_layout()
        self._connect_signals()

    def _build_widgets(self, session: Session) -> None:
        self.files = QListWidget()
        self.files.setMaximumHeight(110)
        self.add_button = QPushButton("Add files…")
        self.remove_button = QPushButton("Remove")
        self.format_combo = QComboBox()
        self.format_combo.addItem("Detect automatically", None)
        for text, name in reader_choices():
            self.format_combo.addItem(text, name)
        self.segment_combo = QComboBox()
        for text, mode in SEGMENT_MODES:
            self.segment_combo.addItem(text, mode)
        self.suggestions_check = QCheckBox("Import existing spans as suggestions to review")
        self.detected = QLabel()
        self.detected.setTextFormat(Qt.TextFormat.PlainText)
        self.preview = QTableWidget(0, 2)
        self.preview.setHorizontalHeaderLabels(["Text", "Entities"])
        self.preview.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.preview.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        self.preview.verticalHeader().hide()
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.job_panel = JobStatusPanel(
            session,
            "import",
            action="Import",
            cancelled_text="Import cancelled; nothing was imported from the current file.",
            parent=self,
        )
        self.status = self.job_panel.status
        self.errors = QListWidget()
        self.errors.setStyleSheet("color: #C62828;")
        self.errors.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close
        )
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        self.import_button.setEnabled(False)

    def _build_layout(self) -> None:
        file_buttons = QVBoxLayout()
        file_buttons.addWidget(self.add_button)
        file_buttons.addWidget(self.remove_button)
        file_buttons.addStretch(1)
        file_row = QHBoxLayout()
        file_row.addWidget(self.files, 1)
        file_row.addLayout(file_buttons)
        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("", self.detected)
        form.addRow("Segments", self.segment_combo)
        form.addRow("", self.suggestions_check)
        layout = QVBoxLayout(self)
        layout.addLayout(file_row)
        layout.addLayout(form)
        layout.addWidget(QLabel("Preview (first items of the selected file)"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.job_panel)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def _connect_signals(self) -> None:
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.buttons.accepted.connect(self._on_import_clicked)
        self.buttons.rejected.connect(self.reject)
        self.files.currentRowChanged.connect(self._refresh_preview)
        self.format_combo.currentIndexChanged.connect(self._refresh_preview)
        self._preview_runner.job_finished.connect(self._on_preview_finished)
        self._preview_runner.job_failed.connect(self._on_preview_failed)
        self.job_panel.finished.connect(self._on_job_panel_finished)
        self.job_panel.failed.connect(self._on_job_panel_failed)
        self.job_panel.cancelled.connect(self._on_job_panel_cancelled)

    # -- files -----------------------------------------------------------------------------------
    def add_files(self, paths: list[str]) -> None:
        for path in paths:
            if not self.files.findItems(path, Qt.MatchFlag.MatchExactly):
                self.files.addItem(path)
        self.import_button.setEnabled(self.files.count() > 0)
        if self.files.currentRow() < 0 and self.files.count():
            self.files.setCurrentRow(0)

    def paths(self) -> list[str]:
        return [self.files.item(i).text() for i in range(self.files.count())]

    def _on_add_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Files to import", "", file_filters())
        self.add_files(paths)

    def _on_remove_clicked(self) -> None:
        self.files.takeItem(self.files.currentRow())
        self.import_button.setEnabled(self.files.count() > 0)

    # -- preview (own worker: reading a large file must not freeze the dialog) ---------------------
    def _refresh_preview(self, *_: object) -> None:
        item = self.files.currentItem()
        if item is None:
            return
        self._preview_runner.cancel()
        self._preview_runner.wait_idle(2.0)
        self.detected.setText("Reading…")
        self._preview_runner.start(
            "preview",
            functools.partial(preview_file, path=item.text(), fmt=self.format_combo.currentData()),
        )

    def _on_preview_finished(self, _name: str, preview: FilePreview) -> None:
        self.detected.setText(
            f"{Path(preview.path).name}: {preview.fmt} · {preview.documents:,} item(s)"
        )
        self.preview.setRowCount(len(preview.items))
        for row, (text, spans) in enumerate(preview.items):
            self.preview.setItem(row, 0, QTableWidgetItem(" ".join(text.split())[:300]))
            ents = "; ".join(f"{label}: {span}" for label, span in spans)
            self.preview.setItem(row, 1, QTableWidgetItem(ents))

    def _on_preview_failed(self, _name: str, error: BaseException) -> None:
        self.preview.setRowCount(0)
        self.detected.setText(describe(error).text)

    # -- import (a session job) -------------------------------------------------------------------
    def _on_import_clicked(self) -> None:
        self.errors.clear()
        self.errors.hide()
        started = self.session.import_files(
            self.paths(),
            self.format_combo.currentData(),
            self.segment_combo.currentData(),
            self.suggestions_check.isChecked(),
        )
        if started:
            self.import_button.setEnabled(False)
            self.job_panel.start("Importing…")

    def _on_job_panel_finished(self, outcome: ImportOutcome) -> None:
        self.import_button.setEnabled(True)
        docs = sum(r.documents for _, r in outcome.reports)
        dups = sum(r.duplicates for _, r in outcome.reports)
        spans = sum(r.spans for _, r in outcome.reports)
        text = (
            f"Imported {len(outcome.reports)} file(s): {docs:,} documents, "
            f"{outcome.segments:,} segments, {spans:,} spans"
        )
        if dups:
            text += f" ({dups:,} duplicate documents skipped)"
        if outcome.errors:
            text += f". {len(outcome.errors)} file(s) had errors and imported nothing:"
            self.errors.show()
            for error in outcome.errors:
                line = f", line {error.line}" if error.line is not None else ""
                self.errors.addItem(f"{error.path}{line}: {error.reason}")
        self.status.setText(text)

    def _on_job_panel_failed(self, _error: BaseException) -> None:
        self.import_button.setEnabled(True)

    def _on_job_panel_cancelled(self) -> None:
        self.import_button.setEnabled(True)

    def done(self, result: int) -> None:
        # the session's signals are disconnected by Qt when this dialog is deleted (close)
        self._preview_runner.shutdown()
        super().done(result)
