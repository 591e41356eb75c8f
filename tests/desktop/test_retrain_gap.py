"""The GUI thread keeps ticking while a real (tiny-model) retrain and its rescore run — also the
first one in a fresh process, when the model libraries were never imported.

The real app (``run_app``) runs in a child process (``retrain_gap_probe``): in this test process
torch and transformers are imported already, which would hide what a person sees on a first
retrain. Before the preload, that first retrain froze the window for ~0.9 s (``ml_dtypes``, pulled
in by ``onnx``, holds the GIL while it registers its dtypes, and a full garbage collection over
the libraries' ~400,000 objects held it for ~300 ms more); now 31–118 ms, as a second. The bounds
are loose (a shared CI machine stalls now and then); the numbers printed are the ones to report.
``python -m tests.desktop.retrain_gap_probe FOLDER --no-preload`` measures the "before".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api import Project
from tests.desktop.conftest import add_document
from tests.engine.tiny_model import build_tiny_model

pytestmark = [pytest.mark.gui, pytest.mark.slow]

SENTENCES = [
    "Ada Lovelace lives in London.",
    "Paris is far from Berlin.",
    "John Smith met Mary in Rome.",
    "Anna visited Madrid and Lisbon.",
]
ROOT = Path(__file__).resolve().parents[2]


def make_project(tmp_path: Path) -> Path:
    base = build_tiny_model(tmp_path / "base", ["PER", "LOC"])
    project = Project.create(tmp_path / "p", ["PER", "LOC"])
    project.set_settings({"base_model": str(base), "eval_share": 0.0})
    for i in range(12):
        text = SENTENCES[i % 4]
        ids = add_document(project, f"{text} ({i})")
        who = text.split(" ")[0]
        seg = project.segment(ids[0])
        project.annotations.add_span(ids[0], seg.start, seg.start + len(who), "PER")
        project.annotations.set_status(ids[0], "labelled")
    for i in range(30):
        add_document(project, f"{SENTENCES[i % 4]} again {i}.")
    project.close()
    return tmp_path / "p"


def run_probe(folder: Path, *flags: str) -> dict:  # type: ignore[type-arg]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "tests.desktop.retrain_gap_probe", str(folder), *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def test_event_loop_gap_during_a_first_retrain_in_the_real_app(tmp_path: Path) -> None:
    report = run_probe(make_project(tmp_path))
    print(f"\nfresh app process: event loop after {report['startup_s']} s")
    for what in ("preload", "first", "second"):
        r = report[what]
        print(
            f"largest event-loop gap during {what:>7} ({r['seconds']:.1f} s): "
            f"{r['worst_ms']} ms; 99th percentile {r['p99_ms']} ms; "
            f"{len(r.get('new_modules', ()))} modules imported"
        )
    print(f"preloaded modules (s): {report['preload']['modules']}")
    assert report["exit"] == 0
    assert report["failures"] == []
    assert report["active_version"] is not None
    assert set(report["preload"]["modules"]) >= {"torch", "transformers", "onnx"}
    # the first retrain is the one a person meets: no freeze (884 ms without the preload)
    assert report["first"]["worst_ms"] < 250
    assert len(report["first"]["new_modules"]) < 100  # 1,094 without the preload
    assert report["second"]["worst_ms"] < 250
