"""Label all occurrences, patterns and dictionaries (issue 15): matcher, store, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.api import Project
from engine.errors import FormatError, ValidationError
from engine.text.matcher import (
    LabelledPattern,
    PatternSet,
    phrase_matches,
    read_pattern_file,
    token_pattern_matches,
)
from tests.engine.conftest import add_document
from tests.engine.test_cli import run

# -- matcher ---------------------------------------------------------------------------------


def test_phrase_matches_whole_words_only() -> None:
    text = "York, New York and Yorkshire; new york. NewYork"
    assert phrase_matches(text, "York") == [(0, 4), (10, 14)]
    assert phrase_matches(text, "New York") == [(6, 14)]
    assert phrase_matches(text, "New York", ignore_case=True) == [(6, 14), (30, 38)]
    assert phrase_matches("the U.S.-based firm; U.S. based", "U.S.-based") == [(4, 14)]


def test_phrase_matches_tokenized_text_uses_spaces() -> None:
    assert phrase_matches("EU rejects German call", "German", tokenized=True) == [(11, 17)]
    assert phrase_matches("Germany 's", "Germany", tokenized=True) == [(0, 7)]


def test_phrase_without_words_is_refused() -> None:
    with pytest.raises(ValidationError):
        phrase_matches("text", "   ")


def test_token_patterns_keys_and_ops() -> None:
    text = "The European Union and the european central union met."
    eu = [{"lower": "european"}, {"LOWER": "central", "OP": "?"}, {"lower": "union"}]
    assert token_pattern_matches(text, eu) == [(4, 18), (27, 49)]
    orth = [{"ORTH": "European"}, {"TEXT": "Union"}]
    assert token_pattern_matches(text, orth) == [(4, 18)]
    plus = [{"lower": "the"}, {"is_alpha": True, "op": "+"}, {"lower": "union"}]
    assert token_pattern_matches("the big red union", plus) == [(0, 17)]
    assert token_pattern_matches("in 2024 and 12", [{"IS_DIGIT": True}]) == [(3, 7), (12, 14)]
    assert token_pattern_matches("a b", [{"lower": {"IN": ["b", "c"]}}]) == [(2, 3)]


@pytest.mark.parametrize(
    "bad",
    [[], [{"lemma": "x"}], [{"lower": "a", "op": "{2}"}], [{"op": "?"}], ["x"], [{"lower": 3}]],
)
def test_bad_token_patterns_are_refused(bad: list) -> None:
    with pytest.raises(ValidationError):
        token_pattern_matches("a", bad)


def test_pattern_set_flat_longest_first() -> None:
    ps = PatternSet(
        [
            LabelledPattern("LOC", "New York"),
            LabelledPattern("LOC", "York"),
            LabelledPattern("ORG", "New York Times"),
            LabelledPattern("ORG", [{"lower": "apple"}]),
        ]
    )
    assert ps.matches("The New York Times, York and APPLE") == [
        (4, 18, "ORG"),
        (20, 24, "LOC"),
        (29, 34, "ORG"),
    ]


def test_read_pattern_file_jsonl_terms_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text(
        '{"label": "ORG", "pattern": "Apple"}\n\n'
        '{"label": "LOC", "pattern": [{"lower": "european"}, {"lower": "union"}]}\n',
        encoding="utf-8",
    )
    got = read_pattern_file(f)
    assert [p.label for p in got] == ["ORG", "LOC"] and got[1].pattern[0] == {"lower": "european"}
    terms = tmp_path / "t.txt"
    terms.write_text("# people\nAngela Merkel\n\nJohn Smith\n", encoding="utf-8")
    assert [p.pattern for p in read_pattern_file(terms, "PER")] == ["Angela Merkel", "John Smith"]
    f.write_text(
        '{"label": "ORG", "pattern": "Apple"}\n{"label": "ORG", "pattern": [{"pos": "NOUN"}]}\n',
        encoding="utf-8",
    )
    with pytest.raises(FormatError) as err:
        read_pattern_file(f)
    assert err.value.line == 2 and "pos" in str(err.value)
    f.write_text('{"label": "ORG"}\n', encoding="utf-8")
    with pytest.raises(FormatError, match=":1: "):
        read_pattern_file(f)


# -- label all ---------------------------------------------------------------------------------


def _corpus(project: Project) -> None:
    add_document(
        project,
        "Paris is big. I met Paris Hilton in Paris. parisian paris.",
        spans=[(20, 32, "PER")],
    )
    add_document(project, "Flights to Paris. Paris, Texas.")


def test_label_all_counts_skips_overlaps_and_keeps_status(project: Project) -> None:
    _corpus(project)
    before = {s.id: s.status for s in project.segments(limit=100)}
    result = project.label_all("Paris", "LOC")
    assert (result.matches, result.labelled, result.skipped_overlap) == (5, 4, 1)
    assert result.segments == 4 and result.already_labelled == 0
    assert {s.id: s.status for s in project.segments(limit=100)} == before
    texts = sorted(
        project.document_text(s.document_id)[s.start : s.end]
        for seg in project.segments(limit=100)
        for s in project.annotations.spans(seg.id)
        if s.label == "LOC"
    )
    assert texts == ["Paris"] * 4
    again = project.label_all("Paris", "LOC")
    assert (again.labelled, again.already_labelled, again.skipped_overlap) == (0, 4, 1)
    ci = project.label_all("paris", "LOC", ignore_case=True)
    assert ci.labelled == 1 and ci.already_labelled == 4  # "parisian" is not a match


def test_label_all_undo_redo_and_mark_labelled(project: Project) -> None:
    _corpus(project)
    before = {s.id: s.status for s in project.segments(limit=100)}
    result = project.label_all("Paris", "LOC", mark_labelled=True)
    segs = project.segments(limit=100)
    assert {
        s.status for s in segs if any(sp.label == "LOC" for sp in project.annotations.spans(s.id))
    } == {"labelled"}
    project.undo_label_all(result)
    assert project.stats()["spans_by_label"]["LOC"] == 0
    assert {s.id: s.status for s in project.segments(limit=100)} == before
    project.redo_label_all(result)
    assert project.stats()["spans_by_label"]["LOC"] == 4
    assert sorted(
        sp.id
        for s in project.segments(limit=100)
        for sp in project.annotations.spans(s.id)
        if sp.label == "LOC"
    ) == sorted(s.id for s in result.spans)


def test_label_all_unknown_label_changes_nothing(project: Project) -> None:
    _corpus(project)
    from engine.errors import NotFoundError

    with pytest.raises(NotFoundError):
        project.label_all("Paris", "CITY")
    assert project.stats()["spans"] == 1


def test_cli_label_all_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(tmp_path / "P")
    run(capsys, "init", proj, "--labels", "PER,LOC")
    src = tmp_path / "a.txt"
    src.write_text("Ana went to Oslo. Oslo is cold. Osloish.", encoding="utf-8")
    assert run(capsys, "import", proj, str(src))[0] == 0
    code, out, _ = run(capsys, "label-all", proj, "oslo", "LOC", "--ignore-case", "--json")
    counts = json.loads(out)
    assert code == 0 and counts["labelled"] == 2 and counts["skipped_overlap"] == 0
    code, out, _ = run(capsys, "label-all", proj, "Oslo", "LOC", "--json")
    assert json.loads(out)["labelled"] == 0 and json.loads(out)["already_labelled"] == 2
    code, out, err = run(capsys, "label-all", proj, "Oslo", "NOPE")
    assert code == 1 and "NOPE" in err
    code, out, _ = run(capsys, "stats", proj, "--json")
    assert json.loads(out)["segments_by_status"]["labelled"] == 0


# -- patterns ---------------------------------------------------------------------------------


def test_patterns_become_suggestions_rejections_remembered(project: Project) -> None:
    _corpus(project)
    added, n = project.add_patterns(
        [
            LabelledPattern("LOC", "Paris"),
            LabelledPattern("LOC", [{"lower": "texas"}]),
            LabelledPattern("CITY", "Flights"),
        ]
    )
    assert added == 3 and "CITY" in [lab.name for lab in project.labels.get_all()]
    assert n == 4  # to-do segments only: Flights, Paris, Paris, Texas
    assert project.stats()["suggestions_by_source"] == {"model": 0, "pattern": 4, "imported": 0}
    assert project.add_patterns([LabelledPattern("LOC", "Paris")]) == (0, 4)
    seg = next(s for s in project.segments(limit=100) if s.text == "Paris, Texas.")
    sugs = project.annotations.suggestions(seg.id)
    assert {s.source for s in sugs} == {"pattern"} and len(sugs) == 2
    project.annotations.reject_suggestion(sugs[0].id)
    assert project.apply_patterns() == 3  # the rejection is remembered
    span = project.annotations.accept_suggestion(project.annotations.suggestions(seg.id)[0].id)
    assert span.label == "LOC"
    assert project.apply_patterns() == 2
    ids = [p.id for p in project.patterns() if p.label == "CITY"]
    assert project.remove_patterns(ids) == 1
    assert [p.label for p in project.patterns()] == ["LOC", "LOC"]


def test_patterns_only_on_todo_segments(project: Project) -> None:
    add_document(project, "Oslo here.", labelled=True)
    add_document(project, "Oslo there.")
    assert project.add_patterns([LabelledPattern("LOC", "Oslo")]) == (1, 1)


def test_cold_start_prefers_segments_with_matches(project: Project) -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(30)) + " Oslo is far."
    add_document(project, text)
    add_document(project, "Bergen is near.")

    class Embed:
        def __call__(self, texts: list[str]) -> np.ndarray:
            import zlib

            return np.asarray(
                [np.random.default_rng(zlib.crc32(t.encode())).normal(size=8) for t in texts],
                dtype=np.float32,
            )

    from engine.active_learning.cold_start import cold_start

    cold_start(project, embedder=Embed())
    assert len(project.next_segments(40)) == 32
    project.add_patterns([LabelledPattern("LOC", "Oslo"), LabelledPattern("LOC", "Bergen")])
    top = [it.text for it in project.next_segments(2)]
    assert sorted(top) == ["Bergen is near.", "Oslo is far."]
    cold_start(project, embedder=Embed())  # recomputed: the preference holds
    assert sorted(it.text for it in project.next_segments(2)) == sorted(top)


def test_cli_patterns_load_list_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(tmp_path / "P")
    run(capsys, "init", proj, "--labels", "PER,ORG,LOC")
    src = tmp_path / "a.txt"
    src.write_text("Apple hired Ana Lopez. The European Union agreed.", encoding="utf-8")
    run(capsys, "import", proj, str(src))
    pats = tmp_path / "p.jsonl"
    pats.write_text(
        '{"label": "ORG", "pattern": "Apple"}\n{"label": "ORG", "pattern": '
        '[{"lower": "european"}, {"lower": "union"}]}\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "patterns", proj, str(pats), "--json")
    data = json.loads(out)
    assert code == 0 and data["added"] == 2 and data["suggestions"] == 2
    terms = tmp_path / "people.txt"
    terms.write_text("Ana Lopez\n", encoding="utf-8")
    code, out, _ = run(capsys, "patterns", proj, str(terms), "--label", "PER")
    assert code == 0 and "1 new patterns" in out
    code, out, _ = run(capsys, "stats", proj, "--json")
    assert json.loads(out)["suggestions_by_source"]["pattern"] == 3
    code, out, _ = run(capsys, "patterns", proj, "--json")
    rows = json.loads(out)["patterns"]
    assert len(rows) == 3
    code, out, _ = run(capsys, "patterns", proj, "--remove", str(rows[0]["id"]), "--json")
    assert len(json.loads(out)["patterns"]) == 2
    code, _, err = run(capsys, "patterns", proj, "--remove", "999")
    assert code == 1 and "999" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": "ORG", "pattern": "A"}\nnot json\n', encoding="utf-8")
    code, _, err = run(capsys, "patterns", proj, str(bad))
    assert code == 1 and "bad.jsonl:2" in err


def test_label_all_settles_suggestions_and_undo_brings_them_back(project: Project) -> None:
    _corpus(project)
    project.add_patterns([LabelledPattern("CITY", "Paris")])
    before = sorted(
        (s.segment_id, s.start, s.label)
        for seg in project.segments(limit=100)
        for s in project.annotations.suggestions(seg.id)
    )
    assert len(before) == 2
    result = project.label_all("Paris", "LOC")
    assert project.suggestions_by_source()["pattern"] == 0
    project.undo_label_all(result)
    assert (
        sorted(
            (s.segment_id, s.start, s.label)
            for seg in project.segments(limit=100)
            for s in project.annotations.suggestions(seg.id)
        )
        == before
    )
    project.redo_label_all(result)
    assert project.suggestions_by_source()["pattern"] == 0


def test_import_applies_stored_patterns(project: Project, tmp_path: Path) -> None:
    project.add_patterns([LabelledPattern("LOC", "Oslo")])
    src = tmp_path / "new.txt"
    src.write_text("We flew to Oslo. Then home.", encoding="utf-8")
    project.import_files([src])
    assert project.suggestions_by_source()["pattern"] == 1
