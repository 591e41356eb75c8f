"""The main window's actions and menus (File, Edit, Go, Model, Help) in one table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


@dataclass(frozen=True)
class ActionSpec:
    key: str
    text: str
    shortcut: str | QKeySequence.StandardKey | None = None
    tip: str = ""
    hint: str = ""  # a single-key shortcut the editor handles itself, shown in the menu only


MENUS: tuple[tuple[str, tuple[ActionSpec | None, ...]], ...] = (
    (
        "&File",
        (
            ActionSpec("new", "&New Project…", QKeySequence.StandardKey.New),
            ActionSpec("open", "&Open Project…", QKeySequence.StandardKey.Open),
            ActionSpec("demo", "Open &Demo Project"),
            ActionSpec("recent", "Open &Recent"),
            None,
            ActionSpec("import", "&Import Documents…", "Ctrl+I"),
            ActionSpec("export_data", "Export &Labelled Data…", "Ctrl+Shift+E"),
            ActionSpec("export_model", "Export &Model (ONNX)…", "Ctrl+E"),
            None,
            ActionSpec(
                "settings",
                "Project &Settings…",
                "Ctrl+,",
                "Active-learning strategy, evaluation share, base model, backups",
            ),
            ActionSpec(
                "backup",
                "&Back Up Now",
                tip="Copy the project database into its backups folder (safe while the app writes)",
            ),
            None,
            ActionSpec("close", "&Close Project", QKeySequence.StandardKey.Close),
            ActionSpec("quit", "&Quit", QKeySequence.StandardKey.Quit),
        ),
    ),
    (
        "&Edit",
        (
            ActionSpec("undo", "Undo"),
            ActionSpec("redo", "Redo"),
            None,
            ActionSpec("accept_all", "&Accept All Suggestions", hint="A"),
            ActionSpec("reject_all", "&Reject All Suggestions", hint="R"),
            ActionSpec("delete", "&Delete Selected Span", hint="Del"),
            None,
            ActionSpec("labels", "&Labels…", "Ctrl+L", "Add, rename, recolour, reorder labels"),
        ),
    ),
    (
        "&Go",
        (
            ActionSpec("next", "&Done, Next", hint="Enter", tip="Mark labelled, go to the next"),
            ActionSpec("skip", "&Skip", hint="S"),
            ActionSpec("back", "&Back", "Alt+Left"),
            ActionSpec("forward", "&Forward", "Alt+Right"),
            None,
            ActionSpec("find", "&Search Queue", QKeySequence.StandardKey.Find),
            ActionSpec("focus_editor", "Focus &Editor", "Ctrl+1"),
        ),
    ),
    (
        "&Model",
        (
            ActionSpec("retrain", "&Retrain", "Ctrl+T", "Train a new version on the labels"),
            ActionSpec("cancel_job", "&Cancel Running Job", "Ctrl+."),
            ActionSpec("export_model2", "&Export Model (ONNX)…"),
            ActionSpec(
                "import_version",
                "&Import Version…",
                tip="Bring back a version trained elsewhere (spantune train-bundle)",
            ),
        ),
    ),
    (
        "&Help",
        (
            ActionSpec("help", "&Keyboard Shortcuts", QKeySequence.StandardKey.HelpContents),
            ActionSpec("about", "&About Spantune"),
        ),
    ),
)


def build_menus(window: QMainWindow, special: dict[str, QAction]) -> dict[str, QAction]:
    """Create every action (``special`` supplies ready ones, like undo/redo) and the menus."""
    actions: dict[str, QAction] = {}
    for title, specs in MENUS:
        menu: QMenu = window.menuBar().addMenu(title)
        for spec in specs:
            if spec is None:
                menu.addSeparator()
                continue
            if spec.key == "recent":
                recent = menu.addMenu(spec.text)
                actions["recent"] = recent.menuAction()
                continue
            action = special.get(spec.key) or QAction(spec.text, window)
            if spec.shortcut is not None:
                action.setShortcut(QKeySequence(spec.shortcut))
            if spec.hint:
                action.setText(f"{spec.text}\t{spec.hint}")
            if spec.tip:
                action.setStatusTip(spec.tip)
            menu.addAction(action)
            window.addAction(action)
            actions[spec.key] = action
    return actions


def connect_actions(actions: dict[str, QAction], slots: dict[str, Callable[[], object]]) -> None:
    for key, slot in slots.items():
        actions[key].triggered.connect(lambda _=False, s=slot: s())
