"""Layering rules: the engine never imports Qt; heavy libraries load only where needed."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import engine

REPO = Path(__file__).resolve().parents[2]


def _engine_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "engine."))


def test_no_engine_source_mentions_qt_or_desktop() -> None:
    for path in (REPO / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root not in {"PySide6", "PyQt5", "PyQt6", "shiboken6", "desktop"}, (
                    f"{path.relative_to(REPO)} imports {name}"
                )


def test_every_engine_module_imports_with_qt_unavailable() -> None:
    out = _import_without(("PySide6", "shiboken6", "desktop"), _engine_modules(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


def _import_without(
    blocked: tuple[str, ...], modules: list[str], then: str = "", timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """Import ``modules`` in a fresh interpreter where importing ``blocked`` raises."""
    code = (
        "import sys, importlib\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None  # importing them now raises ImportError\n"
        f"for mod in {modules!r}:\n"
        "    importlib.import_module(mod)\n"
        f"{then}print('ok')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def test_cli_help_does_not_import_torch_or_qt() -> None:
    code = (
        "import sys\nfrom engine.cli.main import build_parser\nbuild_parser()\n"
        "import engine.api\n"
        "bad = [m for m in ('torch', 'transformers', 'onnxruntime', 'PySide6')"
        " if m in sys.modules]\nprint(bad)\nsys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_inference_imports_no_torch_or_transformers() -> None:
    """engine.inference runs exported folders on onnxruntime + tokenizers + numpy alone."""
    inference = [m for m in _engine_modules() if m.startswith("engine.inference")]
    assert "engine.inference.predictor" in inference
    out = _import_without(
        ("torch", "transformers", "PySide6"),
        inference,
        then="import engine.inference as inf\nfor name in inf.__all__:\n    getattr(inf, name)\n",
    )
    assert out.returncode == 0, out.stderr[-3000:]


def test_inference_source_never_imports_torch_or_the_exporter() -> None:
    """Also inside functions: an import of torch, transformers or engine.export is a layer break."""
    forbidden = {"torch", "transformers", "optimum"}
    for path in (REPO / "engine" / "inference").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                where = path.relative_to(REPO)
                assert name.split(".")[0] not in forbidden, f"{where} imports {name}"
                assert not name.startswith(("engine.export", "engine.training")), (
                    f"{where} imports {name}"
                )


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, at module level or inside functions."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            if node.module == "engine":  # `from engine import errors` names a module
                names += [f"engine.{a.name}" for a in node.names]
    return names


# The desktop's doors into the engine (DESIGN.md, "Layers").
DESKTOP_MAY_IMPORT = ("engine.api", "engine.types", "engine.errors", "engine.progress")
# (file, module): reason. A new entry needs a reason a reviewer accepts.
DESKTOP_IMPORT_EXCEPTIONS = {
    ("desktop/launcher.py", "engine.cli.main"): "the launcher hands its arguments to the CLI",
    ("desktop/app.py", "engine.logs"): "logging is configured before any window (merge of "
    "issue 11; to be re-exported by engine.api)",
    ("desktop/dialogs/import_dialog.py", "engine.formats"): "the reader list for the file "
    "filters (merge of issue 12; to move behind engine.catalog)",
}


def test_desktop_reaches_the_engine_only_through_the_facade() -> None:
    bad = []
    for path in sorted((REPO / "desktop").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        for name in _imports(path):
            if name == "engine" or not name.startswith("engine."):
                continue
            if name.startswith(DESKTOP_MAY_IMPORT) or (rel, name) in DESKTOP_IMPORT_EXCEPTIONS:
                continue
            bad.append(f"{rel} imports {name}")
    assert not bad, (
        "the desktop imports only "
        + ", ".join(DESKTOP_MAY_IMPORT)
        + " (re-export what it needs from engine.api):\n"
        + "\n".join(bad)
    )


def test_the_desktop_never_touches_sqlite() -> None:
    bad = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "desktop").rglob("*.py")
        if "sqlite3" in _imports(path)
    ]
    assert not bad, f"the store translates sqlite3 errors; the desktop must not see them: {bad}"


# SQL outside engine/store: file -> reason.
SQL_OUTSIDE_STORE = {
    "engine/active_learning/pool.py": "moving into engine/store/scoring.py (issue 16, pools)",
    "engine/active_learning/queue.py": "moving into engine/store/scoring.py (issue 16, pools)",
    "engine/active_learning/rescore.py": "moving into engine/store/scoring.py (issue 16, pools)",
}
_SQL_CALLS = {"execute", "executemany", "executescript"}


def test_only_the_store_runs_sql() -> None:
    bad = []
    for path in sorted((REPO / "engine").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith("engine/store/") or rel in SQL_OUTSIDE_STORE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _SQL_CALLS
            ):
                bad.append(f"{rel}:{node.lineno} calls .{node.func.attr}()")
    assert not bad, "SQL lives in engine/store:\n" + "\n".join(bad)


MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
# "path" or "path::function": reason. Shrink the list, do not grow it without a reason.
MERGED = "grew in the merge of the feature branches (2026-12-02); split is the next step"
SIZE_EXCEPTIONS: dict[str, str] = {
    "engine/api.py": "the facade grew with bundles, review, label-all and version import (issue "
    "16 left it at 391 lines before they merged); split by topic into modules "
    "the Project class delegates to",
    "engine/active_learning/rescore.py::rescore": MERGED,
    "engine/active_learning/simulate.py": MERGED,
    "engine/inference/predictor.py": MERGED,
    "engine/training/trainer.py::train_examples": MERGED,
    "engine/cli/commands_project.py::register": MERGED,
    "engine/cli/commands_model.py::register": MERGED,
    "desktop/widgets/span_editor.py": MERGED,
    "desktop/main_window.py": MERGED,
}


def _size_problems() -> list[str]:
    problems = []
    for root in ("engine", "desktop"):
        for path in sorted((REPO / root).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            source = path.read_text(encoding="utf-8")
            lines = len(source.splitlines())
            if lines > MAX_MODULE_LINES and rel not in SIZE_EXCEPTIONS:
                problems.append(f"{rel}: {lines} lines (> {MAX_MODULE_LINES})")
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    key = f"{rel}::{node.name}"
                    if length > MAX_FUNCTION_LINES and key not in SIZE_EXCEPTIONS:
                        problems.append(f"{key}: {length} lines (> {MAX_FUNCTION_LINES})")
    return problems


def test_no_module_or_function_grows_past_the_limits() -> None:
    problems = _size_problems()
    assert not problems, (
        "split these, or add an entry with a reason to SIZE_EXCEPTIONS:\n" + "\n".join(problems)
    )
    for key, reason in SIZE_EXCEPTIONS.items():
        assert reason.strip(), f"{key}: an exception needs a reason"


def test_cli_commands_take_the_shared_arguments_from_one_place() -> None:
    bad = []
    for path in sorted((REPO / "engine" / "cli").glob("*.py")):
        if path.name == "args.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in ("project", "--json")
            ):
                bad.append(f"{path.name}:{node.lineno} adds {node.args[0].value!r}")
    assert not bad, "use engine.cli.args.add_command(project=..., json=...):\n" + "\n".join(bad)
