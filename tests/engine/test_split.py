"""The eval split: whole documents when there are enough, contiguous blocks otherwise, stable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.api import Project
from engine.errors import ValidationError
from engine.store.split import USED_KEY, choose_rule, document_split, eval_groups


def _conll(path: Path, n_sentences: int, offset: int = 0) -> Path:
    lines = []
    for i in range(offset, offset + n_sentences):
        lines += [f"Word{i} O", f"Name{i} B-PER", ". O", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _lines(path: Path, n: int, offset: int = 0) -> Path:
    path.write_text(
        "".join(f"tweet number {i} about things\n" for i in range(offset, offset + n)),
        encoding="utf-8",
    )
    return path


def _splits(project: Project) -> dict[int, tuple[int, int, str]]:
    rows = (
        project.db.connection()
        .execute("SELECT s.id, s.document_id, s.position, s.split FROM segments s")
        .fetchall()
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_choose_rule_needs_enough_similar_documents() -> None:
    assert choose_rule([300], 0.15) == "blocks"
    assert choose_rule([10] * 5, 0.15) == "blocks"
    assert choose_rule([10] * 20, 0.15) == "documents"
    assert choose_rule([10] * 19 + [500], 0.15) == "blocks"  # one document dominates


def test_blocks_are_contiguous_and_near_the_share() -> None:
    def runs(member: list[bool]) -> int:
        return sum(1 for i, m in enumerate(member) if m and (i == 0 or not member[i - 1]))

    member = document_split("abc", 300, 0.15, 0, "blocks")
    assert 30 <= sum(member) <= 60 and runs(member) <= 2  # one stretch, not 45 scattered
    long = document_split("abc", 3000, 0.15, 0, "blocks")
    assert 400 <= sum(long) <= 500 and 8 <= runs(long) <= 10  # blocks of 50 spread out
    assert document_split("abc", 300, 0.15, 0, "blocks") == member  # a pure function
    assert any(
        document_split("abc", 300, 0.15, seed, "blocks") != member  # the seed moves it
        for seed in (1, 2, 3)
    )


def test_one_big_document_is_split_in_blocks(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        project.import_files([_conll(tmp_path / "a.conll", 300)], "conll")
        splits = _splits(project)
        groups = eval_groups(project.db.connection())
        assert (
            project.db.connection()
            .execute("SELECT value FROM settings WHERE key = ?", (USED_KEY,))
            .fetchone()[0]
            == '"blocks"'
        )
    evals = sorted(pos for _, pos, s in splits.values() if s == "eval")
    assert 30 <= len(evals) <= 60
    runs = sum(1 for i, p in enumerate(evals) if i == 0 or evals[i - 1] != p - 1)
    assert runs <= 2
    assert groups == {"split": "blocks", "documents": 1, "groups": runs}


def test_text_lines_hold_out_whole_lines_and_stay_stable(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        project.import_files([_lines(tmp_path / "a.txt", 100)], "text-lines")
        before = _splits(project)
        project.import_files([_lines(tmp_path / "b.txt", 100, offset=100)], "text-lines")
        after = _splits(project)
        used = (
            project.db.connection()
            .execute("SELECT value FROM settings WHERE key = ?", (USED_KEY,))
            .fetchone()[0]
        )
    assert used == '"documents"'
    assert all(after[k] == v for k, v in before.items())  # adding documents moves none
    n_eval = sum(s == "eval" for _, _, s in after.values())
    assert 10 <= n_eval <= 55


def test_documents_rule_holds_out_every_segment_of_a_document(tmp_path: Path) -> None:
    docs = tmp_path / "d.jsonl"
    docs.write_text(
        "".join(
            json.dumps({"text": f"Ana met Bo {i}. Then Cy left {i}. End {i}."}) + "\n"
            for i in range(60)
        ),
        encoding="utf-8",
    )
    with Project.create(tmp_path / "p", ["PER"], settings={"split": "documents"}) as project:
        project.import_files([docs], "jsonl")
        splits = _splits(project)
    by_doc: dict[int, set[str]] = {}
    for doc, _, s in splits.values():
        by_doc.setdefault(doc, set()).add(s)
    assert all(len(s) == 1 for s in by_doc.values())
    assert any(s == {"eval"} for s in by_doc.values())


def test_legacy_project_keeps_its_split_until_resplit(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"]) as project:
        project.import_files([_conll(tmp_path / "a.conll", 200)], "conll")
        conn = project.db.connection()
        with project.db.write() as w:  # what a project made before the group split looks like
            w.execute("DELETE FROM settings WHERE key = ?", (USED_KEY,))
            member = document_split(
                w.execute("SELECT content_hash FROM documents").fetchone()[0],
                200,
                0.15,
                0,
                "segments",
            )
            w.executemany(
                "UPDATE segments SET split = ? WHERE position = ?",
                [("eval" if m else "train", i) for i, m in enumerate(member)],
            )
        legacy = _splits(project)
        project.import_files([_conll(tmp_path / "b.conll", 50, offset=500)], "conll")
        assert all(_splits(project)[k] == v for k, v in legacy.items())
        assert eval_groups(conn)["split"] == "segments"
        report = project.resplit()
        assert report["rule"] == "blocks" and report["moved"] > 0
        assert eval_groups(conn)["split"] == "blocks"


def test_split_setting_is_checked(project: Project) -> None:
    with pytest.raises(ValidationError, match="split"):
        project.set_setting("split", "random")
    project.set_setting("split", "blocks")
    assert project.setting("split") == "blocks"


def test_resplit_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli.main import main

    proj = str(tmp_path / "P")
    assert main(["init", proj, "--labels", "PER"]) == 0
    assert main(["import", proj, str(_conll(tmp_path / "a.conll", 100)), "--format", "conll"]) == 0
    capsys.readouterr()
    assert main(["resplit", proj, "--rule", "segments", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rule"] == "segments" and report["segments"] == 100
    assert {
        "rule",
        "documents",
        "eval_documents",
        "eval_segments",
        "moved",
        "moved_labelled",
    } <= report.keys()
    assert main(["resplit", proj]) == 0
    assert "split rule: segments" in capsys.readouterr().out


def test_export_samples_measure_int8_on_held_out_segments(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", ["PER"], settings={"split": "blocks"}) as project:
        project.import_files([_conll(tmp_path / "a.conll", 600)], "conll")
        check = project.export_samples(256)
        with project.db.read() as conn:
            held_out = {r[0] for r in conn.execute("SELECT text FROM segments WHERE split='eval'")}
    assert len(check) == 256  # hundreds, not a handful of texts
    assert set(check) >= held_out or set(check) <= held_out  # held-out segments come first
    assert check[: len(held_out & set(check))] == [t for t in check if t in held_out]
    with Project.create(tmp_path / "q", ["PER"]) as small:  # no eval split yet: every segment
        small.import_files([_conll(tmp_path / "b.conll", 5)], "conll")
        assert len(small.export_samples(256)) == 5
