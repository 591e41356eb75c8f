"""Render screenshots of the desktop app into ``docs/*.png`` (works offscreen, no display).

    python docs/screenshots.py            # demo project, two real training rounds (a few minutes)
    python docs/screenshots.py --no-train # no model: only the labelling views are meaningful
    python docs/screenshots.py --only-review  # docs/review-queue.png alone (a real 4-fold review)

The demo project is created in a temporary folder; nothing of the person's is touched (QSettings
go to a temporary INI file too). With training, the model panel shows real held-out scores: round
one trains on the demo's seed labels, round two after accepting the model's suggestions on more
segments, as a person would.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from desktop.app import configure  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402
from desktop.services.app_settings import AppSettings  # noqa: E402
from desktop.services.session import Session  # noqa: E402
from engine.api import Project  # noqa: E402

SIZE = (1440, 880)


def settle(app: QApplication, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()


def save(widget: QWidget, out: Path, name: str) -> None:
    path = out / name
    widget.grab().save(str(path))
    print(f"wrote {path}")


def label_more(project: Project, segments: int) -> None:
    """Accept the model's suggestions on the next queued segments and mark them labelled."""
    for item in project.queue_page(0, segments, status="todo"):
        for sug in project.annotations.suggestions(item.segment_id):
            try:
                project.annotations.accept_suggestion(sug.id)
            except Exception:  # noqa: BLE001 - overlapping suggestions: keep the first
                project.annotations.reject_suggestion(sug.id)
        project.annotations.set_status(item.segment_id, "labelled")


def train_rounds(project: Project, rounds: int) -> None:
    for i in range(rounds):
        print(f"training round {i + 1}/{rounds}…", flush=True)
        result = project.train()
        print(f"  {result.version}: F1 {result.metrics.get('f1')}", flush=True)
        project.rescore()
        if i + 1 < rounds:
            label_more(project, 40)


def pick_segment(project: Project) -> int:
    """The queued segment with the most confident suggestions; accept the best one so the
    editor shows a span and suggestions side by side."""
    best, best_key = None, (0, 0.0)
    for item in project.queue_page(0, 300, status="todo"):
        sugs = project.annotations.suggestions(item.segment_id)
        good = [s.score or 0.0 for s in sugs if (s.score or 0.0) >= 0.5]
        key = (min(len(good), 4), sum(good) / max(len(good), 1))
        if key > best_key:
            best, best_key = item.segment_id, key
    if best is None:
        return project.queue_page(0, 1, status="todo")[0].segment_id
    top = max(project.annotations.suggestions(best), key=lambda s: s.score or 0.0)
    project.annotations.accept_suggestion(top.id)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--no-train", action="store_true")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only-review", action="store_true",
                        help="only docs/review-queue.png")
    args = parser.parse_args()
    from engine.logs import configure_logging

    configure_logging()  # library progress bars to the log, not the terminal
    if args.only_review:
        return shoot_review_only(args.out)
    tmp = Path(tempfile.mkdtemp(prefix="spantune-shots-"))
    app = QApplication([])
    configure(app)
    settings = AppSettings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))

    window = MainWindow(Session(), settings)
    window.resize(*SIZE)
    window.show()
    settle(app)
    save(window, args.out, "welcome.png")

    from engine.demo import open_demo_project

    project = open_demo_project(tmp / "demo.spantune")
    if not args.no_train:
        train_rounds(project, args.rounds)
    segment = pick_segment(project) if not args.no_train else None
    window.session.adopt(project)
    if segment is not None:
        window.navigator.show(segment)
    settle(app, 20)
    window.editor.setFocus()
    window._refresh_stats()
    settle(app)
    save(window, args.out, "main-window.png")
    save(window.model_panel, args.out, "model-panel.png")
    save(window.editor.parentWidget(), args.out, "editor.png")
    window.help_overlay.toggle()
    settle(app)
    save(window, args.out, "shortcuts.png")
    window.help_overlay.toggle()
    if not args.no_train:
        shoot_suggestions(app, window, project, args.out)
    shoot_small_window(app, window, args.out)
    if not args.no_train:
        shoot_retrain(app, window, args.out)
    window.close()
    return 0


def short_token_segment(project: Project) -> int | None:
    """The queued segment whose suggestions sit on the most short or hyphenated words
    ("al-Fihri", "Fez"): where overlapping tags used to be unreadable."""
    best, best_key = None, (0, 0)
    for item in project.queue_page(0, 2000, status="todo"):
        sugs = project.annotations.suggestions(item.segment_id)
        text = project.segment(item.segment_id).text
        base = project.segment(item.segment_id).start
        short = [s for s in sugs
                 if s.end - s.start <= 8 or "-" in text[s.start - base:s.end - base]]
        key = (min(len(short), 6), len(sugs))
        if key > best_key:
            best, best_key = item.segment_id, key
    return best


def shoot_suggestions(app: QApplication, window: MainWindow, project: Project,
                      out: Path) -> None:
    segment = short_token_segment(project)
    if segment is None:
        print("no suggestions to show: skipped editor-suggestions.png")
        return
    window.navigator.show(segment)
    settle(app, 10)
    save(window.editor.parentWidget(), out, "editor-suggestions.png")


def shoot_small_window(app: QApplication, window: MainWindow, out: Path) -> None:
    """The whole window at 1024×700, the smallest size the layout is made for."""
    window.resize(1024, 700)
    settle(app, 10)
    save(window, out, "window-1024x700.png")
    window.resize(*SIZE)
    settle(app)


def shoot_retrain(app: QApplication, window: MainWindow, out: Path) -> None:
    """The model panel while a real retrain runs (then cancelled: it changes nothing)."""
    import time

    seen: list[object] = []
    window.session.job_progressed.connect(lambda name, event: seen.append(event))
    window.session.retrain()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
            getattr(e, "eta_seconds", None) and getattr(e, "step", 0) > 5 for e in seen):
        app.processEvents()
        time.sleep(0.02)
    settle(app)
    save(window.model_panel, out, "retrain-progress.png")
    window.session.cancel_job()
    window.session.runner.wait_idle(30)


def shoot_review_only(out: Path) -> int:
    """The demo project after a real review: the queue's Review filter and the review panel."""
    tmp = Path(tempfile.mkdtemp(prefix="spantune-shots-"))
    app = QApplication([])
    configure(app)
    settings = AppSettings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(Session(), settings)
    window.resize(*SIZE)
    window.show()
    from engine.demo import open_demo_project

    window.session.adopt(open_demo_project(tmp / "demo.spantune"))
    settle(app, 20)
    shoot_review(app, window, out)
    window.close()
    window.session.shutdown()
    return 0


def shoot_review(app: QApplication, window: MainWindow, out: Path, folds: int = 4) -> None:
    """Run Model → Review Likely Mistakes for real and shoot the first item of the list."""
    import time

    done: list[str] = []
    window.session.job_finished.connect(lambda name, _r: done.append(name))
    window.session.job_failed.connect(lambda name, _e: done.append(name))
    print(f"reviewing with {folds} fold models…", flush=True)
    window.assist.start_review(folds)
    deadline = time.monotonic() + 1800
    while "review" not in done and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    settle(app, 20)
    window.editor.setFocus()
    window._refresh_stats()
    settle(app)
    save(window, out, "review-queue.png")


if __name__ == "__main__":
    sys.exit(main())
