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
                    f"{path.relative_to(REPO)} imports {name}")


def test_every_engine_module_imports_with_qt_unavailable() -> None:
    out = _import_without(("PySide6", "shiboken6", "desktop"), _engine_modules(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


def _import_without(blocked: tuple[str, ...], modules: list[str], then: str = "",
                    timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Import ``modules`` in a fresh interpreter where importing ``blocked`` raises."""
    code = (
        "import sys, importlib\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None  # importing them now raises ImportError\n"
        f"for mod in {modules!r}:\n"
        "    importlib.import_module(mod)\n"
        f"{then}print('ok')\n")
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def test_cli_help_does_not_import_torch_or_qt() -> None:
    code = ("import sys\nfrom engine.cli.main import build_parser\nbuild_parser()\n"
            "import engine.api\n"
            "bad = [m for m in ('torch', 'transformers', 'onnxruntime', 'PySide6')"
            " if m in sys.modules]\nprint(bad)\nsys.exit(1 if bad else 0)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_inference_imports_no_torch_or_transformers() -> None:
    """engine.inference runs exported folders on onnxruntime + tokenizers + numpy alone."""
    inference = [m for m in _engine_modules() if m.startswith("engine.inference")]
    assert "engine.inference.predictor" in inference
    out = _import_without(("torch", "transformers", "PySide6"), inference,
                          then="import engine.inference as inf\n"
                               "for name in inf.__all__:\n"
                               "    getattr(inf, name)\n")
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
                    f"{where} imports {name}")
