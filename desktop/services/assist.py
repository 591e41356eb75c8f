"""Label faster in the app: label all occurrences (one undoable command), patterns, review.

:func:`install_assist` adds the actions and the review panel to a main window:

- Edit → Label All Occurrences… (Ctrl+Shift+L): the focused span's text, everywhere, as its label;
- Edit → Find in Project… (Ctrl+Shift+F): a search whose hits are labelled the same way;
- Labels → Patterns…: the project's patterns and dictionaries;
- Model → Review Likely Mistakes: the K-fold review job; the queue's "Review" filter walks its
  list, the review panel shows stored spans next to the model's disagreement, and
  "Looks Right" (Ctrl+Shift+Return) confirms a segment (fixing one also takes it off the list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QBoxLayout, QMenu

from desktop.services.undo import EditCommand, EditSink, SetStatusCommand
from engine.errors import EngineError

if TYPE_CHECKING:
    from desktop.main_window import MainWindow
    from desktop.services.session import Session

REVIEW_FILTER = "review"


class LabelAllCommand(EditCommand):
    """Label every free occurrence of a text at once; undo removes exactly those spans."""

    def __init__(
        self,
        sink: EditSink,
        text: str,
        label: str,
        *,
        ignore_case: bool = False,
        segment_id: int = -1,
    ) -> None:
        super().__init__(sink, f"Label all “{text}” as {label}", segment_id)
        self.phrase, self.label, self.ignore_case = text, label, ignore_case
        self.result: Any = None

    def _do(self) -> None:
        if self.result is None:
            self.result = self.project.label_all(
                self.phrase, self.label, ignore_case=self.ignore_case
            )
        else:
            self.project.redo_label_all(self.result)
        self._notify()

    def _undo(self) -> None:
        self.project.undo_label_all(self.result)
        self._notify()

    def _notify(self) -> None:
        for seg in {s.segment_id for s in self.result.spans} - {self.segment_id}:
            self._sink.notify_segment(seg)


def label_all(
    session: Session, text: str, label: str, *, ignore_case: bool = False, segment_id: int = -1
) -> Any:
    """Push a :class:`LabelAllCommand`; returns its result (None when nothing was written)."""
    command = LabelAllCommand(session, text, label, ignore_case=ignore_case, segment_id=segment_id)
    if not session.push(command):
        return None
    result = command.result
    session.notice_posted.emit(
        f"Labelled {result.labelled} occurrences of “{text}” as {label}; "
        f"{result.skipped_overlap} skipped (overlap a span), {result.already_labelled} "
        "were labelled already."
    )
    return result


class Assist(QObject):
    """The window's label-faster actions and the review list state."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self._review: dict[int, dict[str, Any]] = {}
        from desktop.widgets.review_panel import ReviewPanel

        self.panel = ReviewPanel()
        self.panel.confirm_requested.connect(self.confirm_reviewed)
        column = window.editor.parentWidget().layout()  # type: ignore[union-attr]
        assert isinstance(column, QBoxLayout)
        column.insertWidget(column.indexOf(window.editor) + 1, self.panel)
        self.actions = self._add_actions()
        window.queue_panel.status_filter.addItem("Review", REVIEW_FILTER)
        self.session.project_opened.connect(self._on_session_project_opened)
        self.session.segment_changed.connect(self._on_session_segment_changed)
        self.session.job_finished.connect(self._on_session_job_finished)
        window.navigator.current_changed.connect(self._show_panel)

    # -- actions -------------------------------------------------------------------------------
    def _add_actions(self) -> dict[str, QAction]:
        w = self.window
        specs = (
            (
                "label_all",
                "&Edit",
                "Label &All Occurrences…",
                "Ctrl+Shift+L",
                self.label_all_occurrences,
            ),
            ("find_project", "&Edit", "&Find in Project…", "Ctrl+Shift+F", self.find_in_project),
            ("patterns", "&Labels", "&Patterns…", None, self.manage_patterns),
            ("review", "&Model", "Re&view Likely Mistakes", None, self.start_review),
            (
                "review_ok",
                "&Model",
                "Looks Right, Next Review Item",
                "Ctrl+Shift+Return",
                self.confirm_reviewed,
            ),
        )
        menus = {m.title(): m for m in w.menuBar().findChildren(QMenu)}
        if "&Labels" not in menus:
            labels = QMenu("&Labels", w)
            w.menuBar().insertMenu(menus["&Go"].menuAction(), labels)
            labels.addAction(w.actions["labels"])  # type: ignore[index]
            menus["&Labels"] = labels
        out = {}
        for key, menu, text, shortcut, slot in specs:
            action = QAction(text, w)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, s=slot: s())
            menus[menu].addAction(action)
            w.addAction(action)
            out[key] = action
        return out

    def label_all_occurrences(self) -> None:
        """The focused span (or the selection with the palette's label) everywhere."""
        from desktop.dialogs.label_all_dialog import LabelAllDialog

        target = self._target()
        if target is None:
            self.session.notice_posted.emit(
                "Label a span first (or focus one with Tab), then label all its occurrences."
            )
            return
        text, label, seg = target
        dialog = LabelAllDialog(self.session, text, label, self.window)
        if dialog.exec():
            label_all(
                self.session, text, dialog.label(), ignore_case=dialog.ignore_case(), segment_id=seg
            )
        dialog.deleteLater()
        self.window.editor.setFocus()

    def _target(self) -> tuple[str, str, int] | None:
        editor, project = self.window.editor, self.session.project
        content = editor.content
        if content is None or project is None:
            return None
        item = editor.focused_item()
        if item is not None and item.kind == "span":
            span = content.span(item.id)
            if span is not None:
                text = project.document_text(span.document_id)[span.start : span.end]
                return text, span.label, content.segment.id
        selected = editor.selection_range()  # the dialog asks for the label then
        label = content.labels[0].name if content.labels else None
        if selected is not None and label:
            text = project.document_text(content.segment.document_id)[selected[0] : selected[1]]
            return text.strip(), label, content.segment.id
        return None

    def find_in_project(self) -> None:
        from desktop.dialogs.project_search_dialog import ProjectSearchDialog

        if self.session.project is None:
            return
        dialog = ProjectSearchDialog(self.session, self.window)
        dialog.segment_chosen.connect(self.window.navigator.show)
        dialog.exec()
        dialog.deleteLater()

    def manage_patterns(self) -> None:
        from desktop.dialogs.patterns_dialog import PatternsDialog

        if self.session.project is not None:
            dialog = PatternsDialog(self.session, self.window)
            dialog.exec()
            dialog.deleteLater()

    # -- review ----------------------------------------------------------------------------------
    def start_review(self, folds: int = 5) -> bool:
        if self.session.project is None:
            return False
        return self.session.start_job("review", folds=folds)

    def _on_session_job_finished(self, name: str, _result: object) -> None:
        if name == "review":
            self._load_review()
            combo = self.window.queue_panel.status_filter
            combo.setCurrentIndex(combo.findData(REVIEW_FILTER))
            self.window.queue_panel.apply_filter()
            first = self.window.queue_model.segment_at(0)
            if first is not None:
                self.window.navigator.show(first)

    def _load_review(self) -> None:
        project = self.session.project
        items = project.review_items(pending_only=False) if project is not None else []
        self._review = {int(i["segment_id"]): i for i in items}
        self._show_panel()

    def _on_session_project_opened(self, _project: object) -> None:
        self._load_review()

    def _in_review_mode(self) -> bool:
        return self.window.queue_panel.status_filter.currentData() == REVIEW_FILTER

    def _on_session_segment_changed(self, segment_id: int) -> None:
        if self._in_review_mode() and segment_id in self._review:
            self.window.queue_panel.apply_filter()  # a fixed segment leaves the list
            self.window.queue_panel.select_segment(segment_id)
        if segment_id == self.window.navigator.current:
            self._show_panel()

    def _show_panel(self, *_: object) -> None:
        current, project = self.window.navigator.current, self.session.project
        item = self._review.get(current) if current is not None else None
        if item is None or project is None:
            self.panel.show_item(None, [])
            return
        try:
            seg = project.segment(current)  # type: ignore[arg-type]
            spans = [
                (s.start - seg.start, s.end - seg.start, s.label)
                for s in project.annotations.spans(seg.id)
            ]
        except EngineError:
            spans = []
        self.panel.show_item(item, spans)

    def confirm_reviewed(self) -> None:
        """The stored spans of the current segment are right: confirm it, show the next item."""
        current, project = self.window.navigator.current, self.session.project
        if current is None or project is None or current not in self._review:
            return
        before = project.segment(current).status
        if not self.session.push(SetStatusCommand(self.session, current, before, "labelled")):
            return
        if not self._in_review_mode():
            return
        self.window.queue_panel.apply_filter()
        nxt = self.window.queue_model.segment_at(0)
        if nxt is not None:
            self.window.navigator.show(nxt)


def install_assist(window: MainWindow) -> Assist:
    return Assist(window)
