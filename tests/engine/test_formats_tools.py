"""Files from other tools, written here in the shape those tools write them: brat, CoNLL-U,
GermEval nested TSV, Prodigy answers, Label Studio (JSON, JSON-MIN, one task, predictions,
image results), Hugging Face datasets JSONL. Each is read right or refused with file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.api import Project
from engine.errors import FormatError
from engine.formats import read_file
from engine.formats.files import detect_format, open_documents
from engine.types import SpanData


def read_with_notes(path: Path, fmt: str | None = None, **options: object):
    ctx, docs = open_documents(path, fmt, options=options)
    out = list(docs)
    return out, ctx.warnings()


def spans_text(doc) -> list[tuple[str, str]]:
    return [(doc.text[s.start : s.end], s.label) for s in doc.spans]


# ---- brat ----------------------------------------------------------------------------------

BRAT_TXT = "John Smith went to New York.\nThe UN met on Friday.\n"
BRAT_ANN = (
    "T1\tPerson 0 10\tJohn Smith\n"
    "T2\tLocation 19 27\tNew York\n"
    "T3\tOrganization 33 35\tUN\n"
    "T4\tPerson 5 10\tSmith\n"
    "R1\tLives_in Arg1:T1 Arg2:T2\t\n"
    "E1\tMeeting:T3 Agent:T3\n"
    "A1\tNegated E1\n"
    "N1\tReference T2 Wikipedia:5119376\tNew York City\n"
    "#1\tAnnotatorNotes T1\tcheck spelling\n"
)


def write_brat(folder: Path, name: str = "doc", ann: str = BRAT_ANN) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(BRAT_TXT, encoding="utf-8")
    (folder / f"{name}.ann").write_text(ann, encoding="utf-8")
    return folder / f"{name}.ann"


@pytest.mark.parametrize("which", ["ann", "txt", "folder"])
def test_brat_pair_by_either_file_or_folder(tmp_path: Path, which: str) -> None:
    ann = write_brat(tmp_path / "b")
    path = {"ann": ann, "txt": ann.with_suffix(".txt"), "folder": ann.parent}[which]
    assert detect_format(path) == "brat"
    [doc], warnings = read_with_notes(path)
    assert doc.text == BRAT_TXT
    assert spans_text(doc) == [
        ("John Smith", "Person"),
        ("New York", "Location"),
        ("UN", "Organization"),
    ]
    text = "\n".join(warnings)
    for what in (
        "1 relations",
        "1 events",
        "1 attributes",
        "1 normalizations",
        "1 notes",
        "1 nested entities",
    ):
        assert what in text


def test_brat_discontinuous_span_refused_with_line(tmp_path: Path) -> None:
    ann = write_brat(tmp_path, ann="T1\tPerson 0 4\tJohn\nT2\tLocation 19 22;23 27\tNew York\n")
    with pytest.raises(FormatError) as info:
        read_file(ann)
    assert info.value.line == 2 and "discontinuous" in info.value.reason
    assert info.value.path == str(ann)


def test_brat_text_mismatch_and_missing_pair_refused(tmp_path: Path) -> None:
    ann = write_brat(tmp_path, ann="T1\tPerson 0 4\tJane\n")
    with pytest.raises(FormatError, match="covers 'John'"):
        read_file(ann)
    lone = tmp_path / "lone.ann"
    lone.write_text("T1\tX 0 1\ta\n", encoding="utf-8")
    with pytest.raises(FormatError, match="text file lone.txt"):
        read_file(lone)


def test_brat_import_into_project_is_not_text(tmp_path: Path, project: Project) -> None:
    ann = write_brat(tmp_path / "b")
    report = project.import_files([ann])
    assert report.documents == 1 and report.spans == 3
    assert any("relations" in w for w in report.warnings)


def test_brat_round_trip(tmp_path: Path) -> None:
    write_brat(tmp_path / "in", "a")
    write_brat(tmp_path / "in" / "sub", "b", ann="T1\tPerson 0 10\tJohn Smith\n")
    first = read_file(tmp_path / "in")
    from engine.formats import write_file

    assert write_file(first, tmp_path / "out", "brat") == 2
    again = read_file(tmp_path / "out")
    assert [(d.text, d.spans, d.metadata) for d in again] == [
        (d.text, d.spans, d.metadata) for d in first
    ]
    assert (tmp_path / "out" / "sub" / "b.ann").read_text() == "T1\tPerson 0 10\tJohn Smith\n"


# ---- CoNLL-U -------------------------------------------------------------------------------

CONLLU = """# newdoc id = d1
# sent_id = 1
# text = Obama visited Paris-Nord.
1\tObama\tObama\tPROPN\tNNP\t_\t2\tnsubj\t_\tNER=B-PER
2\tvisited\tvisit\tVERB\tVBD\t_\t0\troot\t_\tNER=O
3\tParis-Nord\tParis-Nord\tPROPN\tNNP\t_\t2\tobj\t_\tNER=B-LOC|SpaceAfter=No
4\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\tNER=O

# sent_id = 2
# text = Il va au Palais du Louvre.
1\tIl\til\tPRON\t_\t_\t2\tnsubj\t_\tNE=O
2\tva\taller\tVERB\t_\t_\t0\troot\t_\tNE=O
3-4\tau\t_\t_\t_\t_\t_\t_\t_\t_
3\tà\tà\tADP\t_\t_\t5\tcase\t_\tNE=O
4\tle\tle\tDET\t_\t_\t5\tdet\t_\tNE=O
5\tPalais\tpalais\tNOUN\t_\t_\t2\tobl\t_\tNE=B-LOC
6-7\tdu\t_\t_\t_\t_\t_\t_\t_\t_
6\tde\tde\tADP\t_\t_\t8\tcase\t_\tNE=I-LOC
7\tle\tle\tDET\t_\t_\t8\tdet\t_\tNE=I-LOC
8\tLouvre\tLouvre\tPROPN\t_\t_\t5\tnmod\t_\tNE=I-LOC|SpaceAfter=No
8.1\tempty\t_\t_\t_\t_\t_\t_\t_\t_
9\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\tNE=O

"""


def test_conllu_text_and_misc_entities(tmp_path: Path) -> None:
    path = tmp_path / "ud.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    [doc] = read_file(path)
    assert doc.text == "Obama visited Paris-Nord.\nIl va au Palais du Louvre."
    assert spans_text(doc) == [("Obama", "PER"), ("Paris-Nord", "LOC"), ("Palais du Louvre", "LOC")]
    assert len(doc.segments or []) == 2 and doc.labelled


def test_conllu_in_a_txt_file_and_without_entities(tmp_path: Path) -> None:
    plain = "\n".join(
        ln.rsplit("\t", 1)[0] + "\t_" if "\t" in ln else ln for ln in CONLLU.split("\n")
    )
    path = tmp_path / "ud.txt"
    path.write_text(plain, encoding="utf-8")
    docs, warnings = read_with_notes(path)
    assert docs[0].spans == [] and docs[0].labelled is False
    assert docs[0].text.startswith("Obama visited")
    assert any("no entity annotations" in w for w in warnings)


def test_conllu_bad_column_count_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.conllu"
    path.write_text("# text = a b\n1\ta\ta\tX\t_\t_\t0\troot\t_\t_\n2\tb\tb\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_file(path)
    assert info.value.line == 3


# ---- GermEval nested TSV -------------------------------------------------------------------

GERMEVAL = (
    "# http://de.wikipedia.org/wiki/Manfred_Korfmann [2009-10-17]\n"
    "1\tAufgrund\tO\tO\n2\tseiner\tO\tO\n3\tErfahrungen\tO\tO\n4\tin\tO\tO\n"
    "5\tder\tO\tO\n6\tBundesrepublik\tB-LOC\tO\n7\tDeutschland\tI-LOC\tB-LOC\n"
    "8\tzog\tO\tO\n9\tSchartau\tB-PER\tO\n10\tnach\tO\tO\n11\tBerlin\tB-LOC\tO\n\n"
    "# source 2\n1\tDie\tO\tO\n2\tDeutsche\tB-ORG\tB-LOCderiv\n3\tBank\tI-ORG\tO\n\n"
)


@pytest.mark.parametrize("comments", [True, False])
def test_germeval_nested_reads_outer_and_reports_inner(tmp_path: Path, comments: bool) -> None:
    text = (
        GERMEVAL
        if comments
        else "".join(ln + "\n" for ln in GERMEVAL.split("\n")[:-1] if not ln.startswith("#"))
    )
    path = tmp_path / "germeval.tsv"
    path.write_text(text, encoding="utf-8")
    docs, warnings = read_with_notes(path, "conll")
    [doc] = docs
    assert doc.text.split("\n")[0].startswith("Aufgrund seiner")
    assert "1" not in doc.text.split()
    assert spans_text(doc) == [
        ("Bundesrepublik Deutschland", "LOC"),
        ("Schartau", "PER"),
        ("Berlin", "LOC"),
        ("Deutsche Bank", "ORG"),
    ]
    assert any("2 inner (nested) entities" in w for w in warnings)


# ---- Prodigy -------------------------------------------------------------------------------


def prodigy(text: str, spans: list[tuple[int, int, str]], answer: str, view: str) -> str:
    return json.dumps(
        {
            "text": text,
            "_input_hash": hash(text) % 1000,
            "_task_hash": 1,
            "spans": [
                {"start": a, "end": b, "label": lab, "token_start": 0, "token_end": 0}
                for a, b, lab in spans
            ],
            "meta": {"score": 0.5},
            "_view_id": view,
            "answer": answer,
        }
    )


def test_prodigy_binary_decisions_are_suggestions_and_rejections(
    tmp_path: Path, project: Project
) -> None:
    t = "Ada Lovelace met Charles Babbage in London."
    path = tmp_path / "teach.jsonl"
    path.write_text(
        "\n".join(
            [
                prodigy(t, [(0, 12, "PER")], "accept", "ner"),
                prodigy(t, [(17, 31, "ORG")], "reject", "ner"),
                prodigy(t, [(35, 41, "PER")], "ignore", "ner"),
                prodigy(t, [(35, 41, "LOC")], "accept", "ner"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = project.import_files([path])
    assert report.documents == 1 and report.merged == 3
    assert report.spans == 0 and report.suggestions == 2 and report.rejections == 1
    [seg] = project.segments()
    assert seg.status == "todo"  # partial decisions never complete a segment
    assert project.annotations.spans(seg.id) == []
    got = sorted(
        (s.start, s.end, s.label, s.source) for s in project.annotations.suggestions(seg.id)
    )
    assert got == [(0, 12, "PER", "imported"), (35, 41, "LOC", "imported")]
    assert project.annotations.rejections(seg.id) == [SpanData(17, 31, "ORG")]
    assert any("ignored binary" in w for w in report.warnings)


def test_prodigy_manual_answers_and_repeated_texts(tmp_path: Path, project: Project) -> None:
    path = tmp_path / "manual.jsonl"
    path.write_text(
        "\n".join(
            [
                prodigy("Ana lives in Oslo.", [(0, 3, "PER")], "accept", "ner_manual"),
                prodigy("Bo works at Acme.", [(0, 2, "PER")], "reject", "ner_manual"),
                prodigy("Cy was here.", [(0, 2, "PER")], "ignore", "ner_manual"),
                prodigy("Ana lives in Oslo.", [(13, 17, "LOC")], "accept", "ner_manual"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = project.import_files([path])
    assert report.documents == 3 and report.merged == 1 and report.spans == 2
    by_text = {s.text: s for s in project.segments()}
    assert by_text["Ana lives in Oslo."].status == "labelled"
    assert [
        (s.start, s.end, s.label)
        for s in project.annotations.spans(by_text["Ana lives in Oslo."].id)
    ] == [(0, 3, "PER"), (13, 17, "LOC")]
    assert by_text["Bo works at Acme."].status == "todo"
    assert project.annotations.spans(by_text["Bo works at Acme."].id) == []
    assert any("'reject'" in w for w in report.warnings)
    assert any("'ignore'" in w for w in report.warnings)


def test_repeated_text_with_conflicting_gold_is_refused(tmp_path: Path, project: Project) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps({"text": "Ana Lee", "spans": [{"start": 0, "end": 7, "label": "PER"}]})
        + "\n"
        + json.dumps({"text": "Ana Lee", "spans": [{"start": 0, "end": 3, "label": "ORG"}]})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(FormatError) as info:
        project.import_files([path])
    assert info.value.line == 2 and "overlaps" in info.value.reason
    assert project.stats()["documents"] == 0


# ---- Label Studio --------------------------------------------------------------------------


def ls_result(start: int, end: int, text: str, label: str, kind: str = "labels") -> dict:
    return {
        "id": "r",
        "from_name": "label",
        "to_name": "text",
        "type": kind,
        "value": {"start": start, "end": end, "text": text, "labels": [label]},
    }


def test_labelstudio_skips_image_tasks_and_counts_other_results(tmp_path: Path) -> None:
    tasks = [
        {
            "id": 1,
            "data": {"image": "/data/upload/1/cat.jpg"},
            "annotations": [
                {
                    "result": [
                        {
                            "type": "rectanglelabels",
                            "value": {
                                "x": 1,
                                "y": 2,
                                "width": 3,
                                "height": 4,
                                "rectanglelabels": ["Cat"],
                            },
                        }
                    ]
                }
            ],
        },
        {
            "id": 2,
            "data": {"text": "Ana in Oslo"},
            "annotations": [
                {
                    "result": [
                        ls_result(0, 3, "Ana", "PER"),
                        {"type": "choices", "value": {"choices": ["pos"]}},
                    ]
                }
            ],
        },
    ]
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    docs, warnings = read_with_notes(path)
    assert [d.text for d in docs] == ["Ana in Oslo"]
    assert any("1 tasks with non-text results" in w for w in warnings)
    assert any("'choices'" in w for w in warnings)
    only_images = tmp_path / "img.json"
    only_images.write_text(json.dumps(tasks[:1]), encoding="utf-8")
    with pytest.raises(FormatError, match="no text tasks"):
        read_file(only_images)


def test_labelstudio_json_min_single_task_and_late_data(tmp_path: Path) -> None:
    minimal = [
        {
            "id": 7,
            "text": "Ana in Oslo",
            "label": [
                {"start": 0, "end": 3, "text": "Ana", "labels": ["PER"]},
                {"start": 7, "end": 11, "text": "Oslo", "labels": ["LOC"]},
            ],
            "annotator": 1,
            "annotation_id": 3,
            "lead_time": 2.5,
        }
    ]
    p1 = tmp_path / "min.json"
    p1.write_text(json.dumps(minimal, indent=2), encoding="utf-8")
    assert detect_format(p1) == "labelstudio"
    [doc] = read_file(p1)
    assert spans_text(doc) == [("Ana", "PER"), ("Oslo", "LOC")]
    assert doc.metadata["id"] == 7 and "label" not in doc.metadata

    one = {
        "id": 1,
        "data": {"text": "Bo in Rome"},
        "annotations": [{"result": [ls_result(6, 10, "Rome", "LOC")]}],
    }
    p2 = tmp_path / "one.json"
    p2.write_text(json.dumps(one, indent=2), encoding="utf-8")
    assert detect_format(p2) == "labelstudio"
    assert spans_text(read_file(p2)[0]) == [("Rome", "LOC")]

    late = [
        {
            "meta": {"pad": "x" * 70_000},
            "id": 1,
            "data": {"text": "Cy in Paris"},
            "annotations": [{"result": [ls_result(6, 11, "Paris", "LOC")]}],
        }
    ]
    p3 = tmp_path / "late.json"
    p3.write_text(json.dumps(late), encoding="utf-8")
    assert p3.read_text().index('"data"') > 64 * 1024
    assert detect_format(p3) == "labelstudio"
    assert spans_text(read_file(p3)[0]) == [("Paris", "LOC")]


def test_labelstudio_predictions_as_suggestions(tmp_path: Path, project: Project) -> None:
    tasks = [
        {
            "id": 1,
            "data": {"text": "Ana in Oslo"},
            "annotations": [],
            "predictions": [
                {"model_version": "v1", "score": 0.9, "result": [ls_result(7, 11, "Oslo", "LOC")]}
            ],
        }
    ]
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    docs, warnings = read_with_notes(path)
    assert docs[0].suggestions == [] and any("predictions not imported" in w for w in warnings)
    report = project.import_files([path], as_suggestions=True)
    [seg] = project.segments()
    assert report.suggestions == 1 and seg.status == "todo"
    [sug] = project.annotations.suggestions(seg.id)
    assert (sug.start, sug.end, sug.label, sug.source) == (7, 11, "LOC", "imported")


# ---- Hugging Face datasets JSONL -----------------------------------------------------------


def test_hf_string_and_integer_tags(tmp_path: Path) -> None:
    rows = [
        {
            "id": "0",
            "tokens": ["Ana", "Lee", "in", "Oslo"],
            "ner_tags": ["B-PER", "I-PER", "O", "B-LOC"],
            "pos_tags": [1, 2, 3, 4],
        }
    ]
    p1 = tmp_path / "s.jsonl"
    p1.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert detect_format(p1) == "hf"
    docs, warnings = read_with_notes(p1)
    assert spans_text(docs[0]) == [("Ana Lee", "PER"), ("Oslo", "LOC")]
    assert any("'pos_tags'" in w for w in warnings)

    ints = tmp_path / "i.jsonl"
    ints.write_text(
        json.dumps({"id": "0", "tokens": ["Ana", "in", "Oslo"], "ner_tags": [1, 0, 3]}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match="--tag-names"):
        read_file(ints)
    docs = read_file(ints, options={"tag_names": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]})
    assert spans_text(docs[0]) == [("Ana", "PER"), ("Oslo", "LOC")]
    (tmp_path / "i.labels.json").write_text(
        json.dumps({"names": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]}), encoding="utf-8"
    )
    assert spans_text(read_file(ints)[0]) == [("Ana", "PER"), ("Oslo", "LOC")]
    with pytest.raises(FormatError, match="tag id 3 has no name"):
        read_file(ints, options={"tag_names": ["O", "B-PER"]})


# ---- WebAnno / INCEpTION TSV 3.x -----------------------------------------------------------

WEBANNO = (
    "#FORMAT=WebAnno TSV 3.3\n"
    "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.lexmorph.type.pos.POS|PosValue|coarseValue\n"
    "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|identifier|value\n"
    "#T_RL=webanno.custom.Rel|label|BT_de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity\n"
    "\n\n"
    "#Text=Barack Obama visited 🙂 Paris.\n"
    "1-1\t0-6\tBarack\tNNP\t_\t*[1]\tPER[1]\t_\t_\n"
    "1-2\t7-12\tObama\tNNP\t_\t*[1]\tPER[1]\t_\t_\n"
    "1-3\t13-20\tvisited\tVBD\t_\t_\t_\t_\t_\n"
    "1-4\t21-23\t🙂\tSYM\t_\t_\t_\t_\t_\n"
    "1-5\t24-29\tParis\tNNP\t_\t*\tLOC\tlives\t1-1[1_0]\n"
    "1-6\t29-30\t.\t.\t_\t_\t_\t_\t_\n"
    "\n"
    "#Text=Die Deutsche Bank\\_AG zahlt.\n"
    "2-1\t31-34\tDie\t_\t_\t_\t_\t_\t_\n"
    "2-2\t35-43\tDeutsche\t_\t_\t*[2]|*[3]\tORG[2]|LOC[3]\t_\t_\n"
    "2-2.1\t35-39\tDeut\t_\t_\t_\t_\t_\t_\n"
    "2-3\t44-51\tBank\\_AG\t_\t_\t*[2]\tORG[2]\t_\t_\n"
    "2-4\t52-57\tzahlt\t_\t_\t*\t*\t_\t_\n"
    "2-5\t57-58\t.\t_\t_\t_\t_\t_\t_\n"
)


def test_webanno_named_entity_layer(tmp_path: Path) -> None:
    path = tmp_path / "doc.tsv"
    path.write_text(WEBANNO, encoding="utf-8")
    assert detect_format(path) == "webanno"
    [doc], warnings = read_with_notes(path)
    assert doc.text == "Barack Obama visited 🙂 Paris.\nDie Deutsche Bank_AG zahlt."
    assert spans_text(doc) == [
        ("Barack Obama", "PER"),
        ("Paris", "LOC"),
        ("Deutsche Bank_AG", "ORG"),
    ]
    assert len(doc.segments or []) == 2
    text = "\n".join(warnings)
    assert "POS layer not kept" in text and "Rel layer not kept" in text
    assert "1 nested entities" in text and "1 entities without a value" in text


def test_webanno_offsets_must_match(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(WEBANNO.replace("1-3\t13-20\tvisited", "1-3\t14-21\tvisited"), encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_file(path)
    assert info.value.line == 10 and "does not match" in info.value.reason


def test_webanno_round_trip_through_a_folder(tmp_path: Path) -> None:
    from engine.formats import write_file

    path = tmp_path / "doc.tsv"
    path.write_text(WEBANNO, encoding="utf-8")
    first = read_file(path)
    assert write_file(first, tmp_path / "out", "webanno") == 1
    written = (tmp_path / "out" / "doc-0001.tsv").read_text(encoding="utf-8")
    assert "1-1\t0-6\tBarack\t*[1]\tPER[1]" in written and "\t21-23\t🙂\t_\t_" in written
    again = read_file(tmp_path / "out")
    assert [(d.text, d.spans, d.segments) for d in again] == [
        (d.text, d.spans, d.segments) for d in first
    ]
