"""The CLI beside a running app: while another process holds the project lock (and writes),
read-only commands and ``backup`` work; writers and ``restore`` are refused with a message that
says what to do."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.api import Project
from engine.cli.main import main
from engine.store.database import integrity_problem
from tests.engine.test_cli_pipeline import corpus

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS: list[int] = []  # what the trained fixture holds

# The "app": opens the project for writing (takes the lock), then keeps labelling until stdin
# closes, so the backup runs beside a live writer.
HOLDER = """
import sys, itertools
from engine.api import Project
p = Project.open(sys.argv[1])
seg = p.segments(limit=1)[0]
print("ready", flush=True)
import select
for i in itertools.count():
    if select.select([sys.stdin], [], [], 0)[0]:
        break
    p.annotations.set_status(seg.id, "labelled" if i % 2 else "todo")
    p.set_setting("seed", i % 1000)
p.close()
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.training import TrainConfig, train
    from tests.engine.tiny_model import build_tiny_model

    root = tmp_path_factory.mktemp("beside")
    tiny = build_tiny_model(root / "tiny", ["PER", "LOC"])
    data = root / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in corpus(40, 0)) + "\n", "utf-8")
    raw = root / "raw.txt"
    raw.write_text("\n".join(r["text"] for r in corpus(30, 1)) + "\n", "utf-8")
    with Project.create(root / "P", ["PER", "LOC"], settings={"eval_share": 0.3}) as project:
        project.import_files([data])
        project.import_files([raw], "text-lines")
        train(project, TrainConfig(base_model=str(tiny), epochs=1, seed=0))
        DOCUMENTS.append(project.stats()["documents"])
        return project.path


@pytest.fixture
def held(trained: Path) -> Iterator[Path]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(trained)],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield trained
    finally:
        assert proc.stdin is not None
        proc.stdin.write("stop\n")
        proc.stdin.close()
        assert proc.wait(60) == 0


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_read_only_commands_and_backup_work_beside_the_app(
    held: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = str(held)
    code, out, err = run(capsys, "stats", proj, "--json")
    assert code == 0, err
    docs = DOCUMENTS[-1]
    assert json.loads(out)["documents"] == docs
    code, _, err = run(capsys, "export", proj, str(tmp_path / "out.jsonl"))
    assert code == 0, err
    assert len((tmp_path / "out.jsonl").read_text("utf-8").splitlines()) == docs
    code, out, err = run(capsys, "next", proj, "-n", "5", "--json")
    assert code == 0, err
    assert len(json.loads(out)) == 5
    code, out, err = run(capsys, "evaluate", proj, "--json")
    assert code == 0, err
    assert "f1" in json.loads(out)
    code, out, err = run(capsys, "versions", proj, "--json")
    assert code == 0, err
    assert [v["name"] for v in json.loads(out)] == ["v0001"]
    for _ in range(3):  # online backups while the holder keeps writing
        code, out, err = run(capsys, "backup", proj)
        assert code == 0, err
        written = Path(out.strip().rsplit(" ", 1)[-1])
        assert written.is_file() and integrity_problem(written, full=True) is None
        conn = sqlite3.connect(written)
        try:
            assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == docs
        finally:
            conn.close()
    assert not list((held / "backups").glob("*.tmp"))


def test_writers_and_restore_are_refused_beside_the_app(
    held: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "labels", str(held), "add", "ORG")
    assert code == 1 and "is open in another Spantune by pid" in err
    code, _, err = run(capsys, "restore", str(held))
    assert code == 1
    assert "a restore needs the project closed" in err and "(a backup does not)" in err
