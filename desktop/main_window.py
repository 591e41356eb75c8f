"""The main window: layout, menus and wiring. Views emit what the person wants; the session acts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.dialogs import prompts
from desktop.dialogs.error_dialog import show_error
from desktop.errors import describe
from desktop.main_actions import build_menus, connect_actions
from desktop.models.queue_model import QueueModel
from desktop.services.app_settings import AppSettings
from desktop.services.assist import install_assist
from desktop.services.editor_loader import load_content
from desktop.services.job_messages import cancelled_text, quit_question
from desktop.services.navigator import Navigator
from desktop.services.session import Session
from desktop.widgets.app_status_bar import AppStatusBar
from desktop.widgets.elided_label import ElidedLabel
from desktop.widgets.help_overlay import HelpOverlay
from desktop.widgets.job_progress_text import describe_progress, job_title
from desktop.widgets.label_palette import LabelPalette
from desktop.widgets.model_panel import ModelPanel
from desktop.widgets.queue_panel import QueuePanel
from desktop.widgets.span_editor import SpanEditor, menu_text
from desktop.widgets.welcome_page import WelcomePage
from engine.errors import ConflictError, EngineError, ProjectLockedError, ValidationError

PANEL_JOBS = ("train", "rescore", "export_model")
EMPTY_PROJECT_TEXT = "Nothing to label yet: import documents (File ▸ Import…)."
NO_SEGMENT_TEXT = "Pick a segment in the queue on the left."


# jobs that return a RescoreResult
SCORING_JOBS = ("rescore", "cold_start")


class MainWindow(QMainWindow):
    def __init__(self, session: Session, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.session = session
        self.settings = settings or AppSettings()
        self.navigator = Navigator(session, self)
        self.queue_model = QueueModel(self)
        self.setWindowTitle("Spantune")
        self.resize(1400, 860)
        self._build_layout()
        stack = session.undo_stack
        self.actions = build_menus(
            self,
            {
                "undo": stack.createUndoAction(self, "&Undo"),
                "redo": stack.createRedoAction(self, "&Redo"),
            },
        )
        self.actions["undo"].setShortcut(QKeySequence.StandardKey.Undo)
        self.actions["redo"].setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        # project settings stay in File, never moved into the macOS application menu
        self.actions["settings"].setMenuRole(QAction.MenuRole.NoRole)
        self._stats_timer = QTimer(self, singleShot=True, interval=150)
        self._stats_timer.timeout.connect(self._refresh_stats)
        self._wire()
        self.assist = install_assist(self)  # label all, find in project, patterns, review
        self._restore_window()
        self._show_project_state()

    # -- layout ----------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.welcome = WelcomePage()
        self.queue_panel = QueuePanel(self.queue_model)
        self.palette = LabelPalette()
        self.editor = SpanEditor()
        self.model_panel = ModelPanel()
        self.position_label = ElidedLabel()
        self.position_label.setStyleSheet("color: palette(placeholder-text);")
        hint = ElidedLabel(
            "Select text, press 1–9 · Space: accept · Enter: done, next · "
            "S: skip · ?: all shortcuts"
        )
        hint.setStyleSheet("color: palette(placeholder-text);")
        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(4, 0, 4, 0)
        column.addWidget(self.position_label)
        column.addWidget(self.palette)
        column.addWidget(self.editor, 1)
        column.addWidget(hint)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget, stretch in ((self.queue_panel, 0), (center, 1), (self.model_panel, 0)):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        self.splitter.setSizes([330, 760, 330])
        self.splitter.setChildrenCollapsible(False)
        workspace = QWidget()
        QVBoxLayout(workspace).addWidget(self.splitter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(workspace)
        self.setCentralWidget(self.stack)
        self.status = AppStatusBar()
        self.setStatusBar(self.status)
        self.help_overlay = HelpOverlay(self)

    def _wire(self) -> None:
        s, e, nav = self.session, self.editor, self.navigator
        connect_actions(
            self.actions,
            {
                "new": self.new_project,
                "open": self.open_project_dialog,
                "demo": self.open_demo,
                "import": self.import_documents,
                "export_data": self.export_data,
                "settings": self.project_settings,
                "backup": self.back_up_now,
                "export_model": self.export_model,
                "export_model2": self.export_model,
                "import_version": self.import_version,
                "close": s.close_project,
                "quit": self.close,
                "accept_all": e.accept_all,
                "reject_all": e.reject_all,
                "delete": e.delete_focused,
                "labels": self.manage_labels,
                "next": lambda: nav.finish_current("labelled"),
                "skip": lambda: nav.finish_current("skipped"),
                "back": nav.back,
                "forward": nav.forward,
                "find": self.queue_panel.search.setFocus,
                "focus_editor": e.setFocus,
                "retrain": self.retrain,
                "cancel_job": s.cancel_job,
                "help": self.help_overlay.toggle,
                "about": self.about,
            },
        )
        self.actions["recent"].menu().aboutToShow.connect(self._fill_recent_menu)
        s.project_opened.connect(self._on_session_project_opened)
        s.project_closing.connect(lambda: self.queue_model.set_source(None))
        s.project_closed.connect(self._on_session_project_closed)
        s.segment_changed.connect(self._on_session_segment_changed)
        s.labels_changed.connect(self._on_session_labels_changed)
        s.versions_changed.connect(self._on_session_versions_changed)
        s.queue_changed.connect(self._on_session_queue_changed)
        s.write_failed.connect(self._on_session_write_failed)
        s.changes_saved.connect(lambda: self.status.set_saved(True))
        s.notice_posted.connect(lambda text: self.status.showMessage(text, 6000))
        s.job_started.connect(self._on_session_job_started)
        s.job_progressed.connect(self._on_session_job_progressed)
        s.job_finished.connect(self._on_session_job_finished)
        s.job_failed.connect(self._on_session_job_failed)
        s.job_cancelled.connect(self._on_session_job_cancelled)
        nav.current_changed.connect(self._on_navigator_current_changed)
        nav.queue_finished.connect(
            lambda: self.status.showMessage("The queue is empty: everything is labelled.", 8000)
        )
        e.span_requested.connect(s.add_span)
        e.span_relabel_requested.connect(s.relabel_span)
        e.span_delete_requested.connect(s.remove_span)
        e.span_resize_requested.connect(s.resize_span)
        e.suggestions_accept_requested.connect(s.accept_suggestions)
        e.suggestions_reject_requested.connect(s.reject_suggestions)
        e.next_requested.connect(lambda: nav.finish_current("labelled"))
        e.skip_requested.connect(lambda: nav.finish_current("skipped"))
        e.help_requested.connect(self.help_overlay.toggle)
        e.focus_item_changed.connect(
            lambda item: self.palette.set_current(item.label if item else None)
        )
        self.palette.label_chosen.connect(self._on_palette_label_chosen)
        self.palette.manage_requested.connect(self.manage_labels)
        self.queue_panel.segment_activated.connect(self._on_queue_panel_segment_activated)
        self.model_panel.retrain_requested.connect(self.retrain)
        self.model_panel.cancel_requested.connect(s.cancel_job)
        self.model_panel.export_requested.connect(self.export_model)
        self.model_panel.activate_requested.connect(s.activate_version)
        self.model_panel.delete_requested.connect(self.delete_version)
        self.welcome.new_requested.connect(self.new_project)
        self.welcome.open_requested.connect(self.open_project_dialog)
        self.welcome.demo_requested.connect(self.open_demo)
        self.welcome.recent_requested.connect(self.open_path)

    # -- opening projects --------------------------------------------------------------------------
    def start(self, *, demo: bool = False, project: str | None = None) -> None:
        """First screen: the given project, the demo, the last project, or the welcome page."""
        if project:
            self.open_path(project)
        elif demo:
            self.open_demo()
        elif (last := self.settings.last_project()) and Path(last).is_dir():
            self.open_path(last, quiet=True)

    def open_path(self, path: str, quiet: bool = False) -> bool:
        try:
            self.session.open_project(path)
        except ProjectLockedError as exc:
            if quiet or not prompts.ask_open_read_only(self, exc.path):
                return False
            return self._try(lambda: self.session.open_project(path, read_only=True), "Opening")
        except (EngineError, OSError) as exc:
            if not quiet:
                show_error(self, exc, f"Opening {path}")
                self.settings.remove_recent_project(path)
            return False
        return True

    def open_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a .spantune project folder")
        if folder:
            self.open_path(folder)

    def open_demo(self) -> None:
        self._try(self.session.open_demo, "Opening the demo project")

    def new_project(self) -> None:
        from desktop.dialogs.new_project_dialog import NewProjectDialog

        dialog = NewProjectDialog(self)
        if dialog.exec():
            self._try(
                lambda: self.session.create_project(
                    dialog.project_path(), dialog.labels(), dialog.settings()
                ),
                "Creating the project",
            )

    def back_up_now(self) -> None:
        if self.session.project is not None:
            self._try(self.session.backup, "Backing up the project")

    def _show_open_notices(self, notices: list[str]) -> None:
        """What opening found (a failed scheduled backup, versions registered again): shown,
        never in the way (non-modal)."""
        if not notices:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Spantune",
            "\n\n".join(notices),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def _try(self, action: object, context: str) -> bool:
        try:
            action()  # type: ignore[operator]
        except (EngineError, OSError) as exc:
            show_error(self, exc, context)
            return False
        return True

    # -- dialogs ---------------------------------------------------------------------------------
    def import_documents(self) -> None:
        from desktop.dialogs.import_dialog import ImportDialog

        if self.session.project is not None:
            ImportDialog(self.session, self).exec()

    def manage_labels(self) -> None:
        from desktop.dialogs.label_manager_dialog import LabelManagerDialog

        if self.session.project is not None:
            LabelManagerDialog(self.session, self).exec()
            self.editor.setFocus()

    def export_model(self) -> None:
        from desktop.dialogs.export_model_dialog import ExportModelDialog

        if self.session.project is not None:
            ExportModelDialog(self.session, self).exec()

    def import_version(self) -> None:
        if self.session.project is None:
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Import a version folder (written by spantune train-bundle)"
        )
        if folder:
            self.session.import_version(folder)

    def project_settings(self) -> None:
        from desktop.dialogs.project_settings_dialog import ProjectSettingsDialog

        if self.session.project is None:
            return
        dialog = ProjectSettingsDialog(self.session, self)
        dialog.exec()  # the session stores the values and rescores when the strategy changed
        dialog.deleteLater()

    def export_data(self) -> None:
        from desktop.dialogs.export_data_prompt import ask_export_target

        target = ask_export_target(self) if self.session.project is not None else None
        if target is not None:
            self.session.start_job("export_data", out=target[0], fmt=target[1])

    def retrain(self) -> None:
        """Retrain; when the labels are the ones the active version learnt, ask first."""
        project = self.session.project
        if project is not None and not project.read_only and project.nothing_new_to_learn():
            active = project.versions.active()
            if not prompts.confirm_retrain_unchanged(self, active.name if active else ""):
                self.status.showMessage("Nothing new to learn: retrain skipped.", 6000)
                return
        self.session.retrain()

    def delete_version(self, name: str) -> None:
        if prompts.confirm_delete_version(self, name):
            self.session.delete_version(name)

    def about(self) -> None:
        QMessageBox.about(
            self, "About Spantune", "Spantune — label entities, retrain in one click, export ONNX."
        )

    # -- session -------------------------------------------------------------------------------
    def _on_session_project_opened(self, project: object) -> None:
        self.settings.add_recent_project(self.session.project.path)  # type: ignore[union-attr]
        self.queue_model.set_source(self.navigator.source)
        self._on_session_labels_changed()
        self._on_session_versions_changed()
        self._show_project_state()
        current = self.navigator.current
        if current is not None:
            self.queue_panel.select_segment(current)
        self.editor.setFocus()
        self._show_open_notices(list(getattr(project, "notices", [])))

    def _on_session_project_closed(self) -> None:
        self.model_panel.set_versions([])
        self._show_project_state()

    def _on_session_segment_changed(self, segment_id: int) -> None:
        if segment_id == self.navigator.current:
            self._load_current()
        self.queue_model.refresh_segment(segment_id)
        self._stats_timer.start()

    def _on_session_labels_changed(self) -> None:
        project = self.session.project
        self.palette.set_labels(project.labels.get_all() if project else [])
        self._load_current()
        self._stats_timer.start()

    def _on_session_versions_changed(self) -> None:
        project = self.session.project
        self.model_panel.set_versions(project.versions.get_all() if project else [])
        self._stats_timer.start()

    def _on_session_queue_changed(self) -> None:
        self.queue_model.reload()
        self._load_current()
        self._stats_timer.start()

    def _on_session_write_failed(self, error: BaseException) -> None:
        if isinstance(error, ConflictError | ValidationError):
            self.status.showMessage(describe(error).text, 8000)  # a refused edit, not a fault
            return
        self.status.set_saved(False, read_only=False)
        show_error(self, error, "Saving your change")

    def _on_session_job_started(self, name: str) -> None:
        self.status.set_job(f"{job_title(name)}…")
        if name in PANEL_JOBS:
            self.model_panel.show_job_started(name)

    def _on_session_job_progressed(self, name: str, event: object) -> None:
        text = describe_progress(name, event)
        self.status.set_job(text)
        if name in PANEL_JOBS:
            self.model_panel.show_progress(name, event)

    def _on_session_job_finished(self, name: str, result: object) -> None:
        # a rescore says what it did, e.g. that it scored a random sample of a huge pool
        detail = result.message if name in SCORING_JOBS else None  # type: ignore[attr-defined]
        self._job_ended(name, f"{job_title(name)} finished" + (f": {detail}" if detail else "."))

    def _on_session_job_failed(self, name: str, error: BaseException) -> None:
        self._job_ended(name, f"{job_title(name)} failed.")
        if name == "cold_start":  # ordering after an import: the queue still works without
            self.status.showMessage(describe(error, "Ordering the queue").text, 10000)
        elif name not in ("import", "export_model"):  # those dialogs show their own errors
            show_error(self, error, job_title(name))

    def _on_session_job_cancelled(self, name: str) -> None:
        self._job_ended(name, cancelled_text(name, self.session.kept_note))

    def _job_ended(self, name: str, message: str) -> None:
        self.status.set_job("")
        self.status.showMessage(message, 6000)
        if name in PANEL_JOBS:
            self.model_panel.show_job_ended(message)

    # -- views -----------------------------------------------------------------------------------
    def _on_navigator_current_changed(self, segment_id: int) -> None:
        self._load_current()
        if segment_id >= 0:
            self.queue_panel.select_segment(segment_id)

    def _on_palette_label_chosen(self, name: str) -> None:
        self.editor.apply_label(name)
        self.editor.setFocus()

    def _on_queue_panel_segment_activated(self, segment_id: int) -> None:
        self.navigator.show(segment_id)
        self.editor.setFocus()

    def _load_current(self) -> None:
        project, current = self.session.project, self.navigator.current
        content = load_content(project, current) if project and current is not None else None
        self.editor.set_content(content)
        if content is None:
            self.position_label.clear()
            empty = project is None or project.count_segments() == 0
            self.editor.setPlaceholderText(EMPTY_PROJECT_TEXT if empty else NO_SEGMENT_TEXT)
            return
        seg = content.segment
        badge = {"labelled": "✓ labelled", "skipped": "skipped", "todo": "to do"}[seg.status]
        split = " · held-out (eval)" if seg.split == "eval" else ""
        self.position_label.setText(f"{content.position} · {badge}{split}")

    def _refresh_stats(self) -> None:
        project = self.session.project
        self.status.show_stats(project.stats() if project else None)
        self.queue_panel.update_count()

    def _show_project_state(self) -> None:
        project = self.session.project
        self.actions["settings"].setEnabled(project is not None)
        self.actions["backup"].setEnabled(project is not None)
        self.actions["retrain"].setEnabled(project is not None and not project.read_only)
        self.actions["import_version"].setEnabled(project is not None and not project.read_only)
        self.stack.setCurrentIndex(1 if project else 0)
        if project is None:
            self.setWindowTitle("Spantune")
            self.welcome.set_recent(self.settings.recent_projects())
            self.status.show_stats(None)
            return
        ro = " [read-only]" if project.read_only else ""
        self.setWindowTitle(f"{project.path.name}{ro} — Spantune")
        self.status.set_saved(True, read_only=project.read_only)
        self.model_panel.set_read_only(project.read_only)
        self._refresh_stats()

    def _fill_recent_menu(self) -> None:
        menu = self.actions["recent"].menu()
        menu.clear()
        for path in self.settings.recent_projects():
            menu.addAction(menu_text(path), lambda p=path: self.open_path(p))
        if menu.isEmpty():
            menu.addAction("No recent projects").setEnabled(False)

    # -- window state ------------------------------------------------------------------------------
    def _restore_window(self) -> None:
        geometry = self.settings.geometry("main")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = self.settings.geometry("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        job = self.session.job_running
        if job and not prompts.confirm_quit_during_job(
            self, quit_question(job, self.session.kept_note)
        ):
            event.ignore()
            return
        self.settings.set_geometry("main", self.saveGeometry())
        self.settings.set_geometry("splitter", self.splitter.saveState())
        self.settings.sync()
        self.session.shutdown()
        self.queue_model.shutdown()
        event.accept()
