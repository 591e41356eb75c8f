"""The spantune CLI: commands, --json keys, exit codes, round trips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli.main import main
from tests.engine.conftest import CONLL_DIR

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def write_jsonl(path: Path, n: int, broken_line: int | None = None) -> Path:
    lines = []
    for i in range(1, n + 1):
        if i == broken_line:
            lines.append('{"text": "broken", "spans": [')
        else:
            lines.append(
                json.dumps(
                    {
                        "text": f"Ana Lopez visited Oslo on day {i}.",
                        "spans": [
                            {"start": 0, "end": 9, "label": "PER"},
                            {"start": 18, "end": 22, "label": "LOC"},
                        ],
                    }
                )
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_init_import_stats_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(tmp_path / "P")
    assert run(capsys, "init", proj, "--labels", "PER,ORG,LOC,MISC")[0] == 0
    code, out, _ = run(capsys, "import", proj, str(write_jsonl(tmp_path / "a.jsonl", 20)))
    assert code == 0 and "20 documents" in out
    code, out, _ = run(capsys, "stats", proj, "--json")
    stats = json.loads(out)
    assert {"documents", "segments", "segments_by_status", "spans_by_label"} <= stats.keys()
    assert stats["documents"] == 20 and stats["segments"] == 20
    assert stats["segments_by_status"]["labelled"] == 20
    assert stats["spans_by_label"]["PER"] == 20 and stats["spans_by_label"]["LOC"] == 20
    # re-importing the same documents is reported, not duplicated
    code, out, _ = run(capsys, "import", proj, str(tmp_path / "a.jsonl"))
    assert "skipped 20 duplicate" in out
    assert json.loads(run(capsys, "stats", proj, "--json")[1])["documents"] == 20


def test_broken_line_57_names_the_line_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = str(tmp_path / "P")
    run(capsys, "init", proj, "--labels", "PER")
    run(capsys, "import", proj, str(write_jsonl(tmp_path / "ok.jsonl", 3)))
    before = run(capsys, "stats", proj, "--json")[1]
    bad = write_jsonl(tmp_path / "bad.jsonl", 80, broken_line=57)
    code, out, err = run(capsys, "import", proj, str(bad))
    assert code == 1
    assert err.count("\n") == 1 and "bad.jsonl:57" in err
    assert run(capsys, "stats", proj, "--json")[1] == before


def test_exit_codes_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "stats")[0] == 2  # usage error
    assert run(capsys, "stats", str(tmp_path / "missing"))[0] == 1
    assert run(capsys, "labels", str(tmp_path / "missing"), "add", "X")[0] == 1
    for cmd in (
        "init",
        "import",
        "export",
        "stats",
        "labels",
        "train",
        "evaluate",
        "export-model",
        "predict",
        "next",
        "rescore",
        "simulate",
        "backup",
        "restore",
    ):
        with pytest.raises(SystemExit) as info:
            main([cmd, "--help"])
        assert info.value.code == 0
    capsys.readouterr()


def test_labels_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(tmp_path / "P")
    run(capsys, "init", proj, "--labels", "PER,ORG")
    run(capsys, "import", proj, str(write_jsonl(tmp_path / "a.jsonl", 2)))
    assert run(capsys, "labels", proj, "add", "GPE", "--color", "#123456")[0] == 0
    assert run(capsys, "labels", proj, "rename", "GPE", "COUNTRY")[0] == 0
    assert run(capsys, "labels", proj, "color", "COUNTRY", "#abcdef")[0] == 0
    assert run(capsys, "labels", proj, "hotkey", "COUNTRY", "9")[0] == 0
    code, _, err = run(capsys, "labels", proj, "remove", "PER")
    assert code == 1 and "--yes" in err  # PER has spans
    assert run(capsys, "labels", proj, "remove", "PER", "--yes")[0] == 0
    labels = json.loads(run(capsys, "labels", proj, "--json")[1])
    assert [(x["name"], x["hotkey"], x["color"]) for x in labels] == [
        ("ORG", "2", "#56B4E9"),
        ("LOC", "3", "#009E73"),
        ("COUNTRY", "9", "#ABCDEF"),
    ]
    assert run(capsys, "labels", proj, "color", "ORG", "blue")[0] == 1


def test_settings_show_change_and_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = str(tmp_path / "P")
    run(capsys, "init", proj, "--labels", "PER")
    settings = json.loads(run(capsys, "settings", proj, "--json")[1])
    assert settings["strategy"] == "mnlp" and settings["eval_share"] == 0.15
    assert run(capsys, "settings", proj, "strategy", "bald")[0] == 0
    assert run(capsys, "settings", proj, "eval_share", "0.2")[0] == 0
    assert json.loads(run(capsys, "settings", proj, "--json")[1])["eval_share"] == 0.2
    for key, value, words in (
        ("strategy", "smartest", "unknown strategy"),
        ("eval_share", "0.9", "between 0 and 0.5"),
        ("seed", "1.5", "whole number"),
        ("snap_mode", "wide", "unknown snap mode"),
        ("colour", "red", "unknown setting"),
    ):
        code, _, err = run(capsys, "settings", proj, key, value)
        assert code != 0 and words in err, (key, err)
    assert run(capsys, "settings", proj, "strategy")[1].strip() == "bald"


def test_backup_and_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(tmp_path / "P")
    run(capsys, "init", proj, "--labels", "PER")
    assert run(capsys, "backup", proj)[0] == 0
    run(capsys, "import", proj, str(write_jsonl(tmp_path / "a.jsonl", 2)))
    assert run(capsys, "restore", proj)[0] == 0
    assert json.loads(run(capsys, "stats", proj, "--json")[1])["documents"] == 0


@pytest.mark.parametrize(
    "fmt,ext", [("jsonl", ".jsonl"), ("doccano", ".doccano.jsonl"), ("conll", ".conll")]
)
def test_round_trip_through_each_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, ext: str
) -> None:
    src = write_jsonl(tmp_path / "src.jsonl", 5)
    run(capsys, "init", str(tmp_path / "A"), "--labels", "PER,LOC")
    run(capsys, "import", str(tmp_path / "A"), str(src))
    out = tmp_path / f"out{ext}"
    assert run(capsys, "export", str(tmp_path / "A"), str(out), "--format", fmt)[0] == 0
    run(capsys, "init", str(tmp_path / "B"), "--labels", "PER,LOC")
    assert run(capsys, "import", str(tmp_path / "B"), str(out), "--format", fmt)[0] == 0
    a = json.loads(run(capsys, "stats", str(tmp_path / "A"), "--json")[1])
    b = json.loads(run(capsys, "stats", str(tmp_path / "B"), "--json")[1])
    assert a["spans_by_label"] == b["spans_by_label"]
    assert a["segments"] == b["segments"]


@pytest.mark.skipif(not (CONLL_DIR / "test.txt").is_file(), reason="CoNLL-2003 not present")
def test_conll2003_test_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from engine.formats import read_file

    src = CONLL_DIR / "test.txt"
    proj = str(tmp_path / "P")
    run(capsys, "init", proj, "--labels", "PER,ORG,LOC,MISC")
    assert run(capsys, "import", proj, str(src))[0] == 0
    stats = json.loads(run(capsys, "stats", proj, "--json")[1])
    assert stats["segments"] == 3453 and sum(stats["spans_by_label"].values()) == 5648
    out = tmp_path / "out.conll"
    assert run(capsys, "export", proj, str(out))[0] == 0

    def token_tags(path: Path) -> list[tuple[str, str]]:
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts and parts[0] != "-DOCSTART-":
                rows.append((parts[0], parts[-1]))
        return rows

    assert token_tags(out) == token_tags(src)
    for fmt in ("jsonl", "doccano"):
        path = tmp_path / f"rt.{fmt}.jsonl"
        run(capsys, "export", proj, str(path), "--format", fmt)
        docs = read_file(path, fmt)
        assert sum(len(d.spans) for d in docs) == 5648


def test_entry_point_dispatches_to_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "desktop.launcher", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and "export-model" in out.stdout
    assert "PySide6" not in out.stderr
