"""The model panel: retrain (progress, ETA, loss, cancel), versions, per-label scores, curve."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.models.label_metrics_model import LabelMetricsModel
from desktop.models.version_table_model import (
    VersionTableModel,
    version_f1,
    version_sentences,
)
from desktop.widgets.elided_label import ElidedLabel
from desktop.widgets.job_progress_text import describe_progress
from desktop.widgets.learning_curve_chart import CurvePoint, LearningCurveChart
from engine.api import describe_score
from engine.progress import progress_range
from engine.types import ModelVersion


def _interval(value: object) -> tuple[float, float] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        return float(value[0]), float(value[1])
    return None


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: bold; margin-top: 6px;")
    return label


def _table(model: object) -> QTableView:
    view = QTableView()
    view.setModel(model)  # type: ignore[arg-type]
    view.verticalHeader().hide()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    return view


class ModelPanel(QWidget):
    retrain_requested = Signal()
    cancel_requested = Signal()
    export_requested = Signal()
    activate_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._read_only = False
        self.versions_model = VersionTableModel(self)
        self.metrics_model = LabelMetricsModel(self)
        self.retrain_button = QPushButton("Retrain")
        self.retrain_button.setDefault(False)
        self.retrain_button.setAutoDefault(False)
        self.retrain_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.retrain_button.setToolTip(
            "Train a new model on every labelled segment (Ctrl+T). "
            "You can keep labelling meanwhile."
        )
        self.retrain_button.setStyleSheet(
            "QPushButton { background: #0072B2; color: white; font-weight: bold;"
            " padding: 6px 16px; border-radius: 4px; border: none; }"
            " QPushButton:disabled { background: #9DB8CC; }"
            " QPushButton:hover:!disabled { background: #005A8C; }"
        )
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.setToolTip("Stop the running job; nothing is changed")
        self.cancel_button.hide()
        self.export_button = QPushButton("Export model…")
        self.export_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.export_button.setToolTip("Export a version as an ONNX folder for onnxruntime")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()
        self.job_label = ElidedLabel()
        self.job_label.setStyleSheet("color: palette(placeholder-text);")
        self.active_label = ElidedLabel("No model yet")
        self.versions_view = _table(self.versions_model)
        self.versions_view.setToolTip("Double-click a version to make it active")
        self.metrics_view = _table(self.metrics_model)
        self.chart = LearningCurveChart()
        self.chart.setMinimumHeight(130)
        rows = self.versions_view.verticalHeader().defaultSectionSize()
        header = self.versions_view.horizontalHeader().sizeHint().height()
        self.versions_view.setMinimumHeight(header + 3 * rows + 4)  # three rows at 1024×700

        buttons = QHBoxLayout()
        buttons.addWidget(self.retrain_button, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Model")
        title.setStyleSheet("font-weight: bold;")
        layout.addWidget(title)
        layout.addWidget(self.active_label)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.job_label)
        layout.addWidget(_section("Learning curve"))
        layout.addWidget(self.chart)
        layout.addWidget(_section("Per label (active version, held-out)"))
        layout.addWidget(self.metrics_view, 2)
        layout.addWidget(_section("Versions"))
        layout.addWidget(self.versions_view, 1)
        layout.addWidget(self.export_button)

        self.retrain_button.clicked.connect(self.retrain_requested)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.export_button.clicked.connect(self.export_requested)
        self.versions_view.doubleClicked.connect(self._on_versions_view_double_clicked)
        self.versions_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.versions_view.customContextMenuRequested.connect(self._on_versions_view_menu)

    # -- data ----------------------------------------------------------------------------------
    def set_versions(self, versions: Sequence[ModelVersion]) -> None:
        self.versions_model.set_versions(versions)
        active = next((v for v in versions if v.active), None)
        self.metrics_model.set_metrics(active.metrics if active else None)
        if active is None:
            self.active_label.setText("No model yet: label a few sentences, then Retrain.")
        else:
            score = describe_score(active.metrics)
            if version_f1(active) is not None:
                score = f"F1 {score}"
            device = (active.config or {}).get("device_name") or (active.config or {}).get("device")
            trained_on = f" · trained on {device}" if device else ""
            self.active_label.setText(f"Active: {active.name} · {score}{trained_on}")
        self.chart.set_points(
            [
                CurvePoint(n, f1, v.name, v.active, _interval(v.metrics.get("f1_ci")))
                for v in versions
                if (n := version_sentences(v)) is not None and (f1 := version_f1(v)) is not None
            ]
        )
        self.export_button.setEnabled(bool(versions))

    def set_read_only(self, read_only: bool) -> None:
        """A read-only project cannot store a new version: no Retrain."""
        self._read_only = read_only
        self.retrain_button.setEnabled(not read_only)
        self.retrain_button.setToolTip(
            "The project is open read-only"
            if read_only
            else "Train a new model on every labelled segment (Ctrl+T). "
            "You can keep labelling meanwhile."
        )

    # -- job state -----------------------------------------------------------------------------
    def show_job_started(self, name: str) -> None:
        self.retrain_button.setEnabled(False)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.progress.show()
        self.progress.setRange(0, 0)
        self.job_label.setText(f"{describe_progress(name, None)}…")

    def show_progress(self, name: str, event: object) -> None:
        fraction = progress_range(event)
        if fraction is not None:
            self.progress.setRange(0, fraction[1])
            self.progress.setValue(fraction[0])
        self.job_label.setText(describe_progress(name, event))

    def show_job_ended(self, message: str) -> None:
        self.retrain_button.setEnabled(not self._read_only)
        self.cancel_button.hide()
        self.progress.hide()
        self.job_label.setText(message)

    def _on_cancel_button_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.job_label.setText("Cancelling…")
        self.cancel_requested.emit()

    def _on_versions_view_double_clicked(self, index: QModelIndex) -> None:
        name = index.data(VersionTableModel.VersionRole)
        if name:
            self.activate_requested.emit(str(name))

    def version_menu(self, row: int) -> QMenu | None:
        """Activate / delete for the version in ``row`` (a version without weights: delete)."""
        version = self.versions_model.version_at(row)
        if version is None:
            return None
        menu = QMenu(self)
        activate = menu.addAction(f"Make {version.name} active")
        activate.setEnabled(
            not version.active and not version.weights_deleted and not self._read_only
        )
        activate.triggered.connect(lambda: self.activate_requested.emit(version.name))
        delete = menu.addAction(f"Delete {version.name}…")
        delete.setEnabled(not self._read_only)
        delete.triggered.connect(lambda: self.delete_requested.emit(version.name))
        return menu

    def _on_versions_view_menu(self, pos: QPoint) -> None:
        menu = self.version_menu(self.versions_view.indexAt(pos).row())
        if menu is not None:
            menu.exec(self.versions_view.viewport().mapToGlobal(pos))
