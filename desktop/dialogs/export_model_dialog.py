"""Export a model version as an ONNX folder, then show where it is and how to use it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.session import Session
from desktop.widgets.job_status_panel import JobStatusPanel

SNIPPET = """import json
import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

folder = {folder!r}
tokenizer = Tokenizer.from_file(f"{{folder}}/tokenizer.json")
session = ort.InferenceSession(f"{{folder}}/onnx/{model}")
id2label = json.load(open(f"{{folder}}/config.json"))["id2label"]

enc = tokenizer.encode("Angela Merkel visited Paris.")
inputs = {{"input_ids": np.array([enc.ids], dtype=np.int64),
          "attention_mask": np.array([enc.attention_mask], dtype=np.int64)}}
if "token_type_ids" in {{i.name for i in session.get_inputs()}}:
    inputs["token_type_ids"] = np.array([enc.type_ids], dtype=np.int64)
logits = session.run(["logits"], inputs)[0][0]
for token, tag in zip(enc.tokens, logits.argmax(-1)):
    print(token, id2label[str(tag)])
"""


MODEL_FILES = (("fp32", "onnx/model.onnx"), ("int8", "onnx/model_quantized.onnx"))


def fmt_bytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def model_sizes_text(folder: str | Path) -> str:
    """The real sizes of the exported model files ("fp32 90.4 MB · int8 58.7 MB (65%)")."""
    sizes = {}
    for kind, rel in MODEL_FILES:
        path = Path(folder) / rel
        if path.is_file():
            sizes[kind] = path.stat().st_size + sum(  # external weight files, if any
                p.stat().st_size for p in path.parent.glob(f"{path.name}.data") if p.is_file()
            )
    parts = [f"{kind} {fmt_bytes(size)}" for kind, size in sizes.items()]
    if "fp32" in sizes and "int8" in sizes and sizes["fp32"]:
        parts[-1] += f" ({100 * sizes['int8'] / sizes['fp32']:.0f}% of fp32)"
    return "Model files: " + " · ".join(parts) if parts else "No model file was found there."


def usage_snippet(folder: str | Path, quantized: bool) -> str:
    model = "model_quantized.onnx" if quantized else "model.onnx"
    return SNIPPET.format(folder=str(folder), model=model)


class ExportModelDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Export model")
        self.resize(640, 520)
        project = session.project
        versions = project.versions.get_all() if project else []
        self.version_combo = QComboBox()
        for v in reversed(versions):
            f1 = v.metrics.get("f1")
            score = f" · F1 {f1:.3f}" if isinstance(f1, float) else ""
            self.version_combo.addItem(f"{v.name}{' (active)' if v.active else ''}{score}", v.name)
        self.folder_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        self.quantize_check = QCheckBox(
            "Also write an int8 quantised model (smaller, faster on "
            "CPU; the sizes are shown after the export)"
        )
        self.quantize_check.setChecked(True)
        self.job_panel = JobStatusPanel(
            session,
            "export_model",
            action="Export",
            cancelled_text="Export cancelled; nothing was written.",
            parent=self,
        )
        self.status = self.job_panel.status
        self.snippet = QPlainTextEdit()
        self.snippet.setReadOnly(True)
        self.snippet.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.snippet.hide()
        self.copy_button = QPushButton("Copy code")
        self.open_button = QPushButton("Open folder")
        for b in (self.copy_button, self.open_button):
            b.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close
        )
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        self.export_button.setEnabled(bool(versions))

        form = QFormLayout()
        form.addRow("Version", self.version_combo)
        form.addRow("Folder", folder_row)
        form.addRow("", self.quantize_check)
        result_buttons = QHBoxLayout()
        result_buttons.addWidget(self.copy_button)
        result_buttons.addWidget(self.open_button)
        result_buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.job_panel)
        layout.addWidget(self.snippet, 1)
        layout.addLayout(result_buttons)
        layout.addWidget(self.buttons)

        self.version_combo.currentIndexChanged.connect(self._suggest_folder)
        self.buttons.accepted.connect(self._on_export_clicked)
        self.buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.job_panel.finished.connect(self._on_job_panel_finished)
        self.job_panel.failed.connect(self._on_job_panel_failed)
        self.job_panel.cancelled.connect(self._on_job_panel_cancelled)
        self._suggest_folder()

    def _suggest_folder(self, *_: object) -> None:
        project, name = self.session.project, self.version_combo.currentData()
        if project is not None and name:
            self.folder_edit.setText(str(project.exports_dir / f"{name}-onnx"))

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into")
        if folder:
            self.folder_edit.setText(str(Path(folder) / f"{self.version_combo.currentData()}-onnx"))

    def start_export(self) -> bool:
        started = self.session.start_job(
            "export_model",
            version=self.version_combo.currentData(),
            out_dir=self.folder_edit.text().strip(),
            quantize=self.quantize_check.isChecked(),
        )
        if started:
            self.export_button.setEnabled(False)
            self.job_panel.start("Exporting and checking the ONNX model against the trained one…")
        return started

    def _on_export_clicked(self) -> None:
        self.start_export()

    def _on_job_panel_finished(self, result: object) -> None:
        self.export_button.setEnabled(True)
        folder = str(getattr(result, "path", self.folder_edit.text()))
        sizes = model_sizes_text(folder)
        self.status.setText(
            f"Exported to {folder}\n{sizes}\n\nUse it from Python with onnxruntime:"
        )
        self.snippet.setPlainText(usage_snippet(folder, self.quantize_check.isChecked()))
        for widget in (self.snippet, self.copy_button, self.open_button):
            widget.show()

    def _on_job_panel_failed(self, _error: BaseException) -> None:
        self.export_button.setEnabled(True)

    def _on_job_panel_cancelled(self) -> None:
        self.export_button.setEnabled(True)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.snippet.toPlainText())

    def _on_open_clicked(self) -> None:
        folder = self.status.text().splitlines()[0].removeprefix("Exported to ")
        QDesktopServices.openUrl(QUrl.fromLocalFile(folder))
