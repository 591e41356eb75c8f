"""Files that are not regular files, export targets, re-import with --update, label names."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine.api import Project
from engine.cli.main import main
from engine.errors import FormatError, ValidationError
from engine.formats import read_file, write_file
from engine.label_names import check_label_name, is_label_name, map_label_name
from engine.types import DocumentData, SpanData

REPO = Path(__file__).resolve().parents[2]
DOCS = [DocumentData(text="Ana in Oslo", spans=[SpanData(0, 3, "PER")], labelled=True)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def alarm():
    """Fail instead of hanging forever if a FIFO is waited on."""
    old = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError()))
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# ---- import: only regular files, capped reads ------------------------------------------------


def test_import_refuses_a_fifo_without_hanging(tmp_path: Path, alarm: None) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    for fmt in (None, "jsonl", "text"):
        with pytest.raises(FormatError, match="FIFO"):
            read_file(fifo, fmt)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_import_refuses_devices(project: Project) -> None:
    for fmt in (None, "text", "jsonl"):
        with pytest.raises(FormatError, match="device"):
            project.import_files([Path("/dev/zero")], fmt)
    assert project.stats()["documents"] == 0


def test_import_refuses_a_folder_that_is_not_brat(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="folder"):
        read_file(tmp_path)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc")
def test_size_cap_does_not_trust_st_size(tmp_path: Path) -> None:
    path = Path("/proc/self/status")
    assert path.stat().st_size == 0  # the file system says empty; it is not
    with pytest.raises(FormatError, match="larger than the import limit"):
        read_file(path, "text", max_bytes=64)
    big = tmp_path / "big.jsonl"
    big.write_text('{"text": "a"}\n' * 100, encoding="utf-8")
    with pytest.raises(FormatError, match="limit is"):
        read_file(big, "jsonl", max_bytes=64)


def test_streamed_jsonl_reports_bad_utf8_line_and_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"text": "a"}\n{"text": "b\xff"}\n')
    with pytest.raises(FormatError) as info:
        read_file(path)
    assert info.value.line == 2 and "UTF-8" in info.value.reason
    path.write_bytes(b"\n\n")
    with pytest.raises(FormatError, match="empty file"):
        read_file(path, "jsonl")


# ---- export targets --------------------------------------------------------------------------


def test_export_dash_is_stdout(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    with Project.create(proj, ["PER"]) as p:
        src = tmp_path / "a.jsonl"
        write_file(DOCS, src, "jsonl")
        p.import_files([src])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli.main", "export", str(proj), "-"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert json.loads(done.stdout.strip())["text"] == "Ana in Oslo"
    assert "wrote 1 records to standard output" in done.stderr
    assert not (Path.cwd() / "-").exists()
    # /dev/stdout (a symlink to the process's fd 1, here a pipe) stays what it is
    if Path("/dev/stdout").is_symlink():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "engine.cli.main",
                "export",
                str(proj),
                "/dev/stdout",
                "--format",
                "conll",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert "Ana B-PER" in done.stdout
        assert Path("/dev/stdout").is_symlink()


def test_export_through_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "data.jsonl"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    write_file(DOCS, link, "jsonl")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["text"] == "Ana in Oslo"
    dangling = tmp_path / "new.jsonl"
    dangling.symlink_to(real / "created.jsonl")
    write_file(DOCS, dangling, "jsonl")
    assert dangling.is_symlink() and (real / "created.jsonl").is_file()
    assert not list(tmp_path.glob(".*.tmp")) and not list(real.glob(".*.tmp"))


def test_export_to_a_fifo_writes_directly(tmp_path: Path, alarm: None) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_file(DOCS, fifo, "conll")
    reader.join(10)
    assert got and b"Ana B-PER" in got[0]
    assert fifo.is_fifo()


def test_multi_file_writers_refuse_stdout() -> None:
    for fmt in ("hf", "brat"):
        with pytest.raises(FormatError, match="give a path"):
            write_file(DOCS, Path("-"), fmt)


# ---- re-import: duplicates, --update ---------------------------------------------------------


def records(label: str) -> str:
    return "".join(
        json.dumps(
            {
                "text": f"Ana Lee visited Oslo on day {i}.",
                "spans": [{"start": 0, "end": 7, "label": label}],
            }
        )
        + "\n"
        for i in range(5)
    )


def test_reimport_reports_skipped_and_update_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = str(tmp_path / "p")
    assert run(capsys, "init", proj, "--labels", "PER,ORG")[0] == 0
    first, fixed = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(records("ORG"), encoding="utf-8")
    fixed.write_text(records("PER") + json.dumps({"text": "New one."}) + "\n", encoding="utf-8")
    assert run(capsys, "import", proj, str(first))[0] == 0
    code, out, _ = run(capsys, "import", proj, str(fixed))
    assert code == 0 and "skipped 5 duplicate document(s)" in out and "--update" in out
    code, out, _ = run(capsys, "stats", proj, "--json")
    assert json.loads(out)["spans_by_label"] == {"PER": 0, "ORG": 5}
    code, out, _ = run(capsys, "import", proj, str(fixed), "--update", "--json")
    report = json.loads(out)
    assert code == 0 and report["updated"] == 6 and report["duplicates"] == 0
    assert Path(report["backup"]).is_file()
    code, out, _ = run(capsys, "stats", proj, "--json")
    stats = json.loads(out)
    assert stats["spans_by_label"] == {"PER": 5, "ORG": 0} and stats["documents"] == 6
    # undo: restore the automatic backup taken before the update
    assert run(capsys, "restore", proj, report["backup"])[0] == 0
    code, out, _ = run(capsys, "stats", proj, "--json")
    assert json.loads(out)["spans_by_label"] == {"PER": 0, "ORG": 5}


def test_update_is_one_transaction(tmp_path: Path, project: Project) -> None:
    good = tmp_path / "a.jsonl"
    good.write_text(records("ORG"), encoding="utf-8")
    project.import_files([good])
    bad = tmp_path / "b.jsonl"
    bad.write_text(records("PER") + '{"text": "x", "spans": [{"start": 0}]}\n', encoding="utf-8")
    with pytest.raises(FormatError) as info:
        project.import_files([bad], update=True)
    assert info.value.line == 6
    assert project.stats()["spans_by_label"]["ORG"] == 5


# ---- label names -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["PER", "B-ORG_x", "Ü-Straße", "東京", "a.b/c", "x" * 64])
def test_allowed_label_names(name: str) -> None:
    assert is_label_name(name) and check_label_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "A B", "A,B", "A\nB", "A\tB", "\u2028", "A\u00a0B", "A\x00", "x" * 65, " PER"]
)
def test_refused_label_names(name: str, project: Project) -> None:
    assert not is_label_name(name)
    with pytest.raises(ValidationError):
        project.labels.add(name)


def test_label_names_are_mapped_on_import(
    tmp_path: Path, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert map_label_name("Named Person") == "Named_Person"
    assert map_label_name(" a , b ") == "a_b"
    assert map_label_name("\x00\x01") is None
    path = tmp_path / "l.jsonl"
    path.write_text(
        json.dumps(
            {
                "text": "Ana in Oslo",
                "spans": [
                    {"start": 0, "end": 3, "label": "Named Person"},
                    {"start": 7, "end": 11, "label": "City,Town"},
                ],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    report = project.import_files([path])
    assert set(report.new_labels) == {"Named_Person", "City_Town"}
    assert any("'Named Person' stored as 'Named_Person'" in w for w in report.warnings)
    out = tmp_path / "o.conll"
    project.export(out, "conll")
    assert "Ana B-Named_Person" in out.read_text()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"text": "Ana", "spans": [{"start": 0, "end": 3, "label": "\x01"}]}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match="cannot be used"):
        read_file(bad)


def test_cli_reimports_its_own_hf_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(records("PER"), encoding="utf-8")
    p, q, r = (str(tmp_path / n) for n in "pqr")
    run(capsys, "init", p, "--labels", "PER,LOC")
    run(capsys, "import", p, str(src))
    out = tmp_path / "train.jsonl"
    assert run(capsys, "export", p, str(out), "--format", "hf")[0] == 0
    names = json.loads((tmp_path / "train.labels.json").read_text())["names"]
    run(capsys, "init", q)
    code, text, _ = run(capsys, "import", q, str(out), "--json")
    assert code == 0 and json.loads(text)["spans"] == 5
    (tmp_path / "train.labels.json").unlink()
    run(capsys, "init", r)
    code, _, err = run(capsys, "import", r, str(out))
    assert code == 1 and "--tag-names" in err
    code, text, _ = run(capsys, "import", r, str(out), "--tag-names", ",".join(names), "--json")
    assert code == 0 and json.loads(text)["spans"] == 5
    code, text, _ = run(capsys, "stats", r, "--json")
    assert json.loads(text)["spans_by_label"]["PER"] == 5


def test_streamed_jsonl_crlf_bom_and_unicode_line_separators(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    path.write_bytes(
        '\ufeff{"text": "Ana\u2028in Oslo", "spans": [{"start": 0, "end": 3, '
        '"label": "PER"}]}\r\n\r\n{"text": "Bo"}\r\n'.encode()
    )
    docs = read_file(path)
    assert [(d.text, d.line, d.labelled) for d in docs] == [
        ("Ana\u2028in Oslo", 1, True),
        ("Bo", 3, False),
    ]
