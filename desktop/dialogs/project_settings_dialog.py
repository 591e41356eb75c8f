"""Project settings: strategy, evaluation share, base model, snapping, limits, backups, seed.

Every changed value is checked (``engine.api.check_setting``) before any is written, so a bad
value keeps the dialog open and stores nothing; the values are then written in one transaction
(``Project.set_settings``), so a failed write stores none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.dialogs.error_dialog import show_error
from desktop.services.session import Session
from desktop.services.undo import WRITE_ERRORS
from engine.api import DEFAULT_SETTINGS, check_setting
from engine.errors import ValidationError

log = logging.getLogger(__name__)

BUNDLED = "bundled"
STRATEGY_TEXTS = {  # registered strategies without an entry are listed by name
    "mnlp": "least confident sentences, length-normalised",
    "random": "random order (a baseline)",
    "bald": "model disagreement (MC dropout)",
    "margin": "closest call between the two likeliest tags",
    "least_confidence": "least confident whole sentence",
    "entropy_mean": "most uncertain words on average",
    "entropy_max": "the single most uncertain word",
}
SPLIT_TEXTS = {
    "auto": "whole documents when there are enough, else contiguous blocks",
    "documents": "hold out whole documents",
    "blocks": "hold out contiguous blocks of sentences",
    "segments": "hold out single sentences (flatters the score)",
}
DEVICE_TEXTS = {
    "auto": "a GPU when there is one, else the CPU",
    "cpu": "the CPU",
    "cuda": "the first NVIDIA GPU",
    "mps": "the Apple GPU",
}
SNAP_TEXTS = {
    "strict": "keep a selection only if it starts and ends on word boundaries",
    "contract": "shrink to the whole words inside the selection",
    "expand": "grow to every word the selection touches",
}


@dataclass(frozen=True)
class SettingField:
    """One row of the form: its caption, the widget to disable or focus, how to read/show it."""

    caption: str
    widget: QWidget
    read: Callable[[], Any]
    show: Callable[[Any], None]
    focus: QWidget | None = None  # when ``widget`` is a row of several

    def focus_widget(self) -> QWidget:
        return self.focus or self.widget


def choice_text(name: str, texts: dict[str, str], default: str) -> str:
    text = f"{name} — {texts[name]}" if name in texts else name
    return f"{text} (default)" if name == default else text


def _combo(names: list[str], texts: dict[str, str], default: str) -> QComboBox:
    combo = QComboBox()
    for name in names:
        combo.addItem(choice_text(name, texts, default), name)
    return combo


def _show_choice(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    if index < 0:  # stored by an older or newer Spantune: shown, kept unless changed
        combo.addItem(f"{value} (not available)", value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class ProjectSettingsDialog(QDialog):
    """Shows the project's settings; OK checks and stores the changed ones (``saved``)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Project settings")
        self.setMinimumWidth(560)
        self._session = session
        self._project = project = session.require_project()
        self.saved: dict[str, Any] = {}
        self._build_widgets()
        self.fields = self._build_fields()
        self.errors = {key: self._error_label() for key in self.fields}
        self._build_layout()
        for key, field in self.fields.items():
            field.show(project.setting(key))
        self._initial = self.values()
        self.strategy_combo.currentIndexChanged.connect(self._on_strategy_combo_changed)
        self._on_strategy_combo_changed()
        if project.read_only:
            self._show_read_only()

    # -- building --------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        from engine.api import SNAP_MODES, device_choices, split_rules, strategy_names

        SPLIT_RULES, DEVICE_CHOICES = split_rules(), device_choices()

        names = strategy_names()
        ordered = [n for n in STRATEGY_TEXTS if n in names] + [
            n for n in names if n not in STRATEGY_TEXTS
        ]
        self.strategy_combo = _combo(ordered, STRATEGY_TEXTS, DEFAULT_SETTINGS["strategy"])
        self.strategy_note = self._note("")
        self.eval_share_spin = QDoubleSpinBox(
            decimals=1, minimum=0.0, maximum=50.0, singleStep=1.0, suffix=" %"
        )
        self.eval_share_spin.setToolTip(
            "Share of imported sentences held out to measure the "
            "model honestly; active learning never picks them."
        )
        self.base_model_edit = QLineEdit()
        self.base_model_edit.setPlaceholderText(BUNDLED)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.base_model_row = QWidget()
        row = QHBoxLayout(self.base_model_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.base_model_edit, 1)
        row.addWidget(self.browse_button)
        self.snap_combo = _combo(list(SNAP_MODES), SNAP_TEXTS, DEFAULT_SETTINGS["snap_mode"])
        self.split_combo = _combo(list(SPLIT_RULES), SPLIT_TEXTS, DEFAULT_SETTINGS["split"])
        self.device_combo = _combo(list(DEVICE_CHOICES), DEVICE_TEXTS, DEFAULT_SETTINGS["device"])
        self.import_mb_spin = QSpinBox(minimum=1, maximum=1024 * 1024, suffix=" MB")
        self.backup_spin = QDoubleSpinBox(decimals=1, minimum=0.0, maximum=24.0 * 365, suffix=" h")
        self.backup_spin.setSpecialValueText("Off")  # shown for 0
        # a seed goes up to 2**32 - 1, beyond QSpinBox's int range
        self.seed_spin = QDoubleSpinBox(decimals=0, minimum=0, maximum=2**32 - 1)
        self.keep_weights_spin = QSpinBox(minimum=0, maximum=1000, suffix=" versions")
        self.ray_edit = QLineEdit()
        self.ray_edit.setPlaceholderText("off")
        for spin in (
            self.eval_share_spin,
            self.import_mb_spin,
            self.backup_spin,
            self.seed_spin,
            self.keep_weights_spin,
        ):
            spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)

    def _build_fields(self) -> dict[str, SettingField]:
        base = self.base_model_edit
        fields = {
            "strategy": SettingField(
                "Active learning",
                self.strategy_combo,
                self.strategy_combo.currentData,
                lambda v: _show_choice(self.strategy_combo, v),
            ),
            "eval_share": SettingField(
                "Evaluation share",
                self.eval_share_spin,
                lambda: round(self.eval_share_spin.value() / 100, 4),
                lambda v: self.eval_share_spin.setValue(float(v) * 100),
            ),
            "split": SettingField(
                "Held-out split",
                self.split_combo,
                self.split_combo.currentData,
                lambda v: _show_choice(self.split_combo, v),
            ),
            "device": SettingField(
                "Training device",
                self.device_combo,
                self.device_combo.currentData,
                lambda v: _show_choice(self.device_combo, v),
            ),
            "base_model": SettingField(
                "Base model",
                self.base_model_row,
                lambda: base.text().strip() or BUNDLED,
                lambda v: base.setText(str(v)),
                base,
            ),
            "snap_mode": SettingField(
                "Token snapping",
                self.snap_combo,
                self.snap_combo.currentData,
                lambda v: _show_choice(self.snap_combo, v),
            ),
            "max_import_mb": SettingField(
                "Import size limit",
                self.import_mb_spin,
                self.import_mb_spin.value,
                lambda v: self.import_mb_spin.setValue(round(v)),
            ),
            "backup_interval_hours": SettingField(
                "Automatic backups",
                self.backup_spin,
                self.backup_spin.value,
                self.backup_spin.setValue,
            ),
            "keep_weights": SettingField(
                "Keep weights of",
                self.keep_weights_spin,
                self.keep_weights_spin.value,
                lambda v: self.keep_weights_spin.setValue(int(v)),
            ),
            "ray": SettingField(
                "Score the pool on Ray",
                self.ray_edit,
                lambda: self.ray_edit.text().strip() or "off",
                lambda v: self.ray_edit.setText("" if v == "off" else str(v)),
            ),
            "seed": SettingField(
                "Random seed",
                self.seed_spin,
                lambda: int(self.seed_spin.value()),
                self.seed_spin.setValue,
            ),
        }
        return fields

    def _build_layout(self) -> None:
        hints = {
            "strategy": self.strategy_note,
            "base_model": self._note(
                f"“{BUNDLED}” is the encoder packaged with Spantune; or a "
                "Hugging Face model folder or hub id. Used from the next "
                "retrain."
            ),
            "backup_interval_hours": self._note("0 turns automatic backups off."),
            "ray": self._note(
                "Empty: this computer. “local”: Ray actors here; or a cluster address "
                "(ray://head:10001) whose nodes have spantune[cluster] installed."
            ),
            "keep_weights": self._note(
                "Besides the active one, the newest versions that keep "
                "their weights (about 90–200 MB each); older ones keep "
                "their scores only."
            ),
        }
        form = QFormLayout()
        for key, field in self.fields.items():
            cell = QWidget()  # the field with its hint and its error message under it
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            for widget in (field.widget, hints.get(key), self.errors[key]):
                if widget is not None:
                    column.addWidget(widget)
            form.addRow(field.caption, cell)
        self.error_label = self._error_label()
        self.read_only_note = self._note(
            "This project is open read-only: the settings are shown but cannot be changed."
        )
        self.read_only_note.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only_note)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def _note(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)  # folder names show literally
        label.setWordWrap(True)
        label.setStyleSheet("color: palette(placeholder-text);")
        return label

    def _error_label(self) -> QLabel:
        label = QLabel()
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setStyleSheet("color: #C62828;")
        label.hide()
        return label

    def _show_read_only(self) -> None:
        for field in self.fields.values():
            field.widget.setEnabled(False)
        self.read_only_note.show()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    # -- values ----------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """What the form shows now, as setting values."""
        return {key: field.read() for key, field in self.fields.items()}

    def changed_values(self) -> dict[str, Any]:
        """The values the person changed since the dialog opened."""
        return {key: value for key, value in self.values().items() if value != self._initial[key]}

    def save(self) -> bool:
        """Check every changed value, then store them all; False (nothing stored) on an error."""
        self._clear_errors()
        changed = self.changed_values()
        try:
            checked = {key: check_setting(key, value) for key, value in changed.items()}
        except ValidationError as exc:
            self._show_validation_error(exc)
            return False
        try:
            self._session.save_settings(checked)  # one transaction: all or nothing
        except WRITE_ERRORS as exc:
            show_error(self, exc, "Saving the project settings")
            return False
        self.saved = checked
        return True

    def _show_validation_error(self, exc: ValidationError) -> None:
        field = self.fields.get(exc.field or "")
        if field is None:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        label = self.errors[str(exc.field)]
        label.setText(f"{field.caption}: {str(exc).removeprefix(f'{exc.field}: ')}")
        label.show()
        field.focus_widget().setFocus()

    def _clear_errors(self) -> None:
        for label in (*self.errors.values(), self.error_label):
            label.clear()
            label.hide()

    # -- slots -----------------------------------------------------------------------------------
    def _on_strategy_combo_changed(self) -> None:
        changed = self.strategy_combo.currentData() != self._initial["strategy"]
        when = (
            ": a rescore starts when you press OK."
            if self._project.versions.active()
            else " at the next rescore, after the next retrain."
        )
        self.strategy_note.setText(f"The queue is re-ordered by the new strategy{when}")
        self.strategy_note.setVisible(changed)

    def _on_browse_button_clicked(self) -> None:
        start = self.base_model_edit.text().strip()
        folder = QFileDialog.getExistingDirectory(
            self,
            "Base model folder (Hugging Face layout)",
            start if start != BUNDLED and Path(start).expanduser().is_dir() else "",
        )
        if folder:
            self.base_model_edit.setText(folder)

    def _on_buttons_accepted(self) -> None:
        if self.save():
            self.accept()
