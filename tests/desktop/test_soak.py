"""GUI soak test: a seeded random walk of user actions through the real main window.

Every step is a real mouse or keyboard event (or a menu action a person can trigger); after every
step the app must still be alive and the editor must show exactly what the database holds.
"""

from __future__ import annotations

import os
import random
import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from tests.desktop.conftest import add_document, add_suggestion, drag_select, editor_point

pytestmark = [pytest.mark.gui, pytest.mark.slow]

ACTIONS = int(os.environ.get("SPANTUNE_SOAK_ACTIONS", "2000"))
SEED = int(os.environ.get("SPANTUNE_SOAK_SEED", "20261202"))
NO = Qt.KeyboardModifier.NoModifier
SENTENCES = [
    "Angela Merkel visited Paris on Monday.",
    "Google hired John Smith in Zürich.",
    "Mary lives in Berlin, near the Spree.",
    "The Aurora-2 probe reached Jerez.",
    "al-Qarawiyyin was founded by Fatima al-Fihri.",
    "Zofia met 😀 Ana at the U.N. office.",
    "Toyota opened a plant in Kentucky.",
    "Dr. Ada Lovelace wrote to Charles Babbage.",
]


def _documents(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.sample(SENTENCES, 3)) for _ in range(count)]


def _words(text: str) -> list[tuple[int, int]]:
    from engine.text.tokens import word_tokens

    return [
        (t.start, t.end)
        for t in word_tokens(text)
        if any(c.isalnum() for c in text[t.start : t.end])
    ]


class Walker:
    def __init__(self, window, project, qtbot, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
        self.w, self.p, self.qtbot, self.rng = window, project, qtbot, rng
        self.ed = window.editor
        self.counts: dict[str, int] = {}

    # -- helpers -----------------------------------------------------------------------------------
    def key(self, k, mods=NO) -> None:  # type: ignore[no-untyped-def]
        QTest.keyClick(self.ed, k, mods)

    def segment(self):  # type: ignore[no-untyped-def]
        return self.ed.content.segment if self.ed.content else None

    def random_word_range(self) -> tuple[int, int] | None:
        seg = self.segment()
        if seg is None:
            return None
        words = _words(seg.text)
        if not words:
            return None
        i = self.rng.randrange(len(words))
        j = min(len(words) - 1, i + self.rng.choice((0, 0, 1, 2)))
        return seg.start + words[i][0], seg.start + words[j][1]

    # -- actions -----------------------------------------------------------------------------------
    def scroll_queue(self) -> None:
        view = self.w.queue_panel.view
        vp = view.viewport()
        pos = QPointF(vp.width() / 2, vp.height() / 2)
        delta = self.rng.choice((-120, 120, 240, -360))
        event = QWheelEvent(
            pos,
            QPointF(vp.mapToGlobal(pos.toPoint())),
            QPoint(0, 0),
            QPoint(0, delta),
            Qt.MouseButton.NoButton,
            NO,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(vp, event)

    def click_queue_row(self) -> None:
        view = self.w.queue_panel.view
        rows = view.model().rowCount()
        if not rows:
            return
        index = view.model().index(self.rng.randrange(rows), 0)
        view.scrollTo(index)
        rect = view.visualRect(index)
        if rect.isValid():
            QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, NO, rect.center())
            self.ed.setFocus()

    def label_drag(self) -> None:
        rng = self.random_word_range()
        if rng is None:
            return
        drag_select(self.qtbot, self.ed, *rng)
        self.key(getattr(Qt.Key, f"Key_{self.rng.randint(1, 3)}"))

    def label_shift_arrows(self) -> None:
        rng = self.random_word_range()
        if rng is None or self.ed.offsets is None:
            return
        cursor = self.ed.textCursor()
        cursor.setPosition(self.ed.offsets.to_qt(rng[0]))
        self.ed.setTextCursor(cursor)
        for _ in range(self.rng.randint(1, 12)):
            self.key(Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
        if self.rng.random() < 0.5:
            self.key(
                Qt.Key.Key_Right,
                Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier,
            )
        self.key(getattr(Qt.Key, f"Key_{self.rng.randint(1, 3)}"))

    def double_click_label(self) -> None:
        rng = self.random_word_range()
        if rng is None or self.ed.offsets is None:
            return
        point = editor_point(self.ed, self.ed.offsets.to_qt(rng[0]), 3)
        QTest.mouseDClick(self.ed.viewport(), Qt.MouseButton.LeftButton, NO, point)
        self.key(getattr(Qt.Key, f"Key_{self.rng.randint(1, 3)}"))

    def tab_then(self, then: str) -> None:
        for _ in range(self.rng.randint(1, 4)):
            self.key(Qt.Key.Key_Tab)
        if then == "relabel":
            self.key(getattr(Qt.Key, f"Key_{self.rng.randint(1, 3)}"))
        elif then == "delete":
            self.key(Qt.Key.Key_Delete)
        else:
            self.key(Qt.Key.Key_Space)

    def resize_span(self) -> None:
        spans = [i for i in self.ed.items() if i.kind == "span"]
        if not spans:
            return
        item = self.rng.choice(spans)
        rects = self.ed.item_rects(item)
        if not rects:
            return
        first, last = rects[0], rects[-1]
        side = self.rng.choice(("start", "end"))
        edge = (
            QPoint(int(first.left()), int(first.center().y()))
            if side == "start"
            else QPoint(int(last.right()), int(last.center().y()))
        )
        target = edge + QPoint(self.rng.choice((-60, -25, 25, 60)), 0)
        vp = self.ed.viewport()
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, NO, edge)
        QTest.mouseMove(vp, target)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, NO, target)

    def click_suggestion(self) -> None:
        sugs = [i for i in self.ed.items() if i.kind == "suggestion"]
        if not sugs:
            return
        rects = self.ed.item_rects(self.rng.choice(sugs))
        if rects:
            QTest.mouseClick(
                self.ed.viewport(), Qt.MouseButton.LeftButton, NO, rects[0].center().toPoint()
            )

    def rescore(self) -> None:
        """What a rescore does to the store: fresh model suggestions on a few segments."""
        seg = self.segment()
        if seg is None:
            return
        words = _words(seg.text)
        rows = []
        for a, b in self.rng.sample(words, min(2, len(words))):
            rows.append(
                (
                    seg.id,
                    seg.start + a,
                    seg.start + b,
                    self.rng.choice(("PER", "LOC")),
                    round(self.rng.random(), 3),
                    "v0001",
                )
            )
        self.p.annotations.replace_suggestions([seg.id], rows)
        self.w.session.queue_changed.emit()

    def open_dialog(self) -> None:
        which = self.rng.choice(("labels", "settings", "export_model", "about", "help"))
        if which == "help":
            self.key(Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
            QApplication.processEvents()
            QTest.keyClick(self.w.help_overlay, Qt.Key.Key_Escape)
            return

        def close_modal(tries: int = 50) -> None:
            modal = QApplication.activeModalWidget()
            if isinstance(modal, QDialog | QMessageBox):
                modal.reject()
            elif tries:
                QTimer.singleShot(10, lambda: close_modal(tries - 1))

        QTimer.singleShot(0, close_modal)
        self.w.actions[which].trigger()
        self.ed.setFocus()

    def change_filter(self) -> None:
        combo = self.w.queue_panel.status_filter
        combo.setCurrentIndex(self.rng.randrange(combo.count()))
        self.ed.setFocus()

    def resize_window(self) -> None:
        self.w.resize(self.rng.randint(1024, 1600), self.rng.randint(700, 1000))

    def run(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1
        {
            "scroll": self.scroll_queue,
            "click_row": self.click_queue_row,
            "label_drag": self.label_drag,
            "label_keys": self.label_shift_arrows,
            "double_click": self.double_click_label,
            "relabel": lambda: self.tab_then("relabel"),
            "delete": lambda: self.tab_then("delete"),
            "accept_one": lambda: self.tab_then("accept"),
            "click_suggestion": self.click_suggestion,
            "space": lambda: self.key(Qt.Key.Key_Space),
            "resize": self.resize_span,
            "undo": lambda: self.key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier),
            "redo": lambda: self.key(
                Qt.Key.Key_Z,
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
            ),
            "accept_all": lambda: self.key(Qt.Key.Key_A),
            "reject_all": lambda: self.key(Qt.Key.Key_R),
            "enter": lambda: self.key(Qt.Key.Key_Return),
            "skip": lambda: self.key(Qt.Key.Key_S),
            "back": lambda: self.key(Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier),
            "forward": lambda: self.key(Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier),
            "rescore": self.rescore,
            "dialog": self.open_dialog,
            "window": self.resize_window,
            "filter": self.change_filter,
        }[name]()

    # -- the invariant -----------------------------------------------------------------------------
    def check(self, step: int, name: str) -> None:
        assert self.w.isVisible(), f"step {step} ({name}): the window is gone"
        content = self.ed.content
        current = self.w.navigator.current
        if content is None:
            assert current is None, f"step {step} ({name}): nothing shown for segment {current}"
            return
        where = f"step {step} ({name}), segment {content.segment.id}"
        assert content.segment.id == current, where
        db_spans = {(s.id, s.start, s.end, s.label) for s in self.p.annotations.spans(current)}
        shown = {(s.id, s.start, s.end, s.label) for s in content.spans}
        assert shown == db_spans, where
        db_sugs = {(s.id, s.start, s.end, s.label) for s in self.p.annotations.suggestions(current)}
        assert {(s.id, s.start, s.end, s.label) for s in content.suggestions} == db_sugs, where
        drawn = {(i.kind, i.id) for i in self.ed.items()}
        assert drawn == {("span", s[0]) for s in db_spans} | {("suggestion", s[0]) for s in db_sugs}
        assert self.p.segment(current).status == content.segment.status, where
        # flat NER: spans of one segment never overlap
        ordered = sorted(db_spans, key=lambda s: s[1])
        assert all(a[2] <= b[1] for a, b in zip(ordered, ordered[1:], strict=False)), where


WEIGHTS = {
    "scroll": 10,
    "click_row": 6,
    "label_drag": 10,
    "label_keys": 6,
    "double_click": 5,
    "relabel": 6,
    "delete": 5,
    "accept_one": 5,
    "click_suggestion": 3,
    "space": 3,
    "resize": 5,
    "undo": 8,
    "redo": 5,
    "accept_all": 3,
    "reject_all": 2,
    "enter": 5,
    "skip": 2,
    "back": 3,
    "forward": 2,
    "rescore": 4,
    "dialog": 2,
    "window": 2,
    "filter": 2,
}


def test_random_walk_of_user_actions_keeps_editor_and_database_equal(
    qtbot, make_project, make_window
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(SEED)
    project = make_project()
    for text in _documents(rng, 150):
        ids = add_document(project, text)
        for seg_id in ids[:2]:
            seg = project.segment(seg_id)
            a, b = rng.choice(_words(seg.text))
            add_suggestion(project, seg_id, seg.start + a, seg.start + b, "ORG", 0.7)
    window = make_window(project)
    window.editor.setFocus()
    walker = Walker(window, project, qtbot, rng)
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    writes: list[int] = []
    window.session.changes_saved.connect(lambda: writes.append(1))
    started = time.monotonic()
    for step in range(ACTIONS):
        name = rng.choices(names, weights)[0]
        walker.run(name)
        QApplication.processEvents()
        walker.check(step, name)
    elapsed = time.monotonic() - started
    print(f"soak: {ACTIONS} actions in {elapsed:.1f} s; {sorted(walker.counts.items())}")
    assert ACTIONS >= 2000 or "SPANTUNE_SOAK_ACTIONS" in os.environ
    # the walk really edited: many undoable writes, labels in the database, segments finished
    assert len(writes) >= ACTIONS // 5
    stats = project.stats()
    print(f"soak: {len(writes)} saved edits; stats {stats}")
