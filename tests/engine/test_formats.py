"""engine.formats: registry, detection, JSON/text readers, validation errors, writers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import FormatError
from engine.formats import (
    READERS,
    WRITERS,
    detect_format,
    read_file,
    reader_names,
    register_reader,
    write_file,
    writer_names,
)
from engine.types import DocumentData, SpanData

DATA = Path(__file__).parent / "data"


def spans_text(doc: DocumentData) -> list[tuple[str, str]]:
    return [(doc.text[s.start : s.end], s.label) for s in doc.spans]


def write_bytes(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def jsonl_file(tmp_path: Path, *records: object, name: str = "in.jsonl") -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    return write_bytes(tmp_path, name, "\n".join(lines) + "\n")


def format_error(path: Path, fmt: str | None = None, **kw: object) -> FormatError:
    with pytest.raises(FormatError) as info:
        read_file(path, fmt, **kw)  # type: ignore[arg-type]
    assert info.value.path == str(path)
    return info.value


# ---- registry and detection ---------------------------------------------------------------------


def test_registries_hold_every_format() -> None:
    assert set(reader_names()) == {
        "text",
        "text-lines",
        "jsonl",
        "doccano",
        "labelstudio",
        "conll",
        "conllu",
        "hf",
        "brat",
        "webanno",
        "pdf",
        "docx",
        "html",
        "markdown",
    }
    assert set(writer_names()) == {
        "jsonl",
        "doccano",
        "conll",
        "hf",
        "labelstudio",
        "brat",
        "webanno",
    }
    assert reader_names() == list(READERS) and writer_names() == list(WRITERS)


def test_a_name_registers_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_reader("jsonl")(lambda text, ctx: [])


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("spans.jsonl", "jsonl"),
        ("doccano_label.jsonl", "doccano"),
        ("doccano_entities.jsonl", "doccano"),
        ("labelstudio.json", "labelstudio"),
        ("scheme_iob2.conll", "conll"),
        ("columns_tabs.conll", "conll"),
        ("tagged.txt", "conll"),
        ("plain.txt", "text"),
        ("lines.txt", "text"),
    ],
)
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(DATA / name) == fmt


def test_detect_by_content_when_the_extension_is_unknown(tmp_path: Path) -> None:
    assert (
        detect_format(write_bytes(tmp_path, "a.data", (DATA / "spans.jsonl").read_bytes()))
        == "jsonl"
    )
    assert (
        detect_format(write_bytes(tmp_path, "b", (DATA / "scheme_iob1.conll").read_bytes()))
        == "conll"
    )
    assert detect_format(write_bytes(tmp_path, "c.json", '{"text": "x"}\n')) == "jsonl"
    with pytest.raises(FormatError, match="unknown file format"):
        detect_format(write_bytes(tmp_path, "d.bin", b"\x00\x01\x02"))


def test_detection_looks_past_the_first_record(tmp_path: Path) -> None:
    doccano = jsonl_file(tmp_path, {"text": "unlabelled"}, {"text": "ab", "label": [[0, 1, "X"]]})
    assert detect_format(doccano) == "doccano"
    long_first = jsonl_file(tmp_path, {"text": "x" * 200_000, "spans": []}, name="long.data")
    assert detect_format(long_first) == "jsonl"
    with pytest.raises(FormatError, match="unknown file format"):
        detect_format(write_bytes(tmp_path, "latin1.data", "caf\xe9 au lait\n".encode("latin-1")))


def test_broken_jsonl_is_still_read_as_jsonl_to_report_its_line(tmp_path: Path) -> None:
    path = jsonl_file(tmp_path, "{not json")
    assert detect_format(path) == "jsonl"
    assert format_error(path).line == 1


# ---- plain text ---------------------------------------------------------------------------------


def test_text_is_one_document_kept_exactly(tmp_path: Path) -> None:
    raw = "Line one\u00a0with NBSP\r\nLine two 🙂\r\n\u2028tail  "
    path = write_bytes(tmp_path, "a.txt", b"\xef\xbb\xbf" + raw.encode())
    [doc] = read_file(path)
    assert doc.text == raw  # BOM stripped, nothing else touched
    assert (doc.labelled, doc.spans, doc.segments, doc.line) == (False, [], None, 1)


def test_text_lines_is_one_document_per_non_empty_line(tmp_path: Path) -> None:
    docs = read_file(DATA / "lines.txt", "text-lines")
    assert [(d.text, d.line) for d in docs] == [
        ("First line about Kestrel Ltd.", 1),
        ("Second line, with a tab\there.", 4),
        ("Third line", 5),
    ]
    crlf = write_bytes(tmp_path, "b.txt", "one\r\n\r\n two \r\n")
    assert [d.text for d in read_file(crlf, "text-lines")] == ["one", " two "]


# ---- JSON readers -------------------------------------------------------------------------------


def test_jsonl_reads_spans_metadata_and_unlabelled_records() -> None:
    docs = read_file(DATA / "spans.jsonl")
    assert [d.line for d in docs] == [1, 2, 4, 5]  # line 3 is blank
    assert spans_text(docs[0]) == [("Ada Quist", "PER"), ("Tromsø", "LOC")]
    assert docs[0].metadata == {"meta": {"source": "notes"}, "id": 7}
    assert [d.labelled for d in docs] == [True, True, False, True]
    assert spans_text(docs[3]) == [("Bo Lind", "PER")]  # offsets in code points, after 🙂
    assert docs[3].metadata == {"_input_hash": 12345}


def test_jsonl_keeps_raw_line_separators_inside_strings(tmp_path: Path) -> None:
    text = "a\u2028b\x85c\x1cd\re\r\nf"
    path = jsonl_file(tmp_path, json.dumps({"text": text}, ensure_ascii=False))
    [doc] = read_file(path)
    assert doc.text == text


def test_doccano_label_and_entities_forms() -> None:
    classic = read_file(DATA / "doccano_label.jsonl")
    newer = read_file(DATA / "doccano_entities.jsonl")
    expected = [("Kiri Labs", "ORG"), ("Wren Falk", "PER")]
    assert spans_text(classic[0]) == spans_text(newer[0]) == expected
    assert classic[0].metadata == {"id": 1, "Comments": []}
    assert newer[0].metadata == {"id": 10, "relations": []}
    assert [d.labelled for d in classic] == [True, True, False]


def test_labelstudio_reads_the_first_annotation_that_was_not_cancelled() -> None:
    docs = read_file(DATA / "labelstudio.json")
    assert spans_text(docs[0]) == [("Lotte Brandt", "PER"), ("Kiri Labs", "ORG")]
    assert docs[0].metadata == {"source": "a", "id": 1}
    assert docs[1].text == "Unlabelled task about Dunedin." and docs[1].labelled is False
    assert [d.line for d in docs] == [2, 71, 78]


def test_labelstudio_converts_old_utf16_offsets() -> None:
    doc = read_file(DATA / "labelstudio.json")[2]
    assert doc.text == "🙂🙂 Wren Falk"
    assert doc.spans == [SpanData(3, 12, "PER")]


def test_labelstudio_errors_name_the_task(tmp_path: Path) -> None:
    tasks = [
        {"data": {"text": "ok"}},
        {
            "data": {"text": "abc"},
            "annotations": [
                {"result": [{"type": "labels", "value": {"start": 0, "end": 9, "labels": ["X"]}}]}
            ],
        },
    ]
    path = write_bytes(tmp_path, "ls.json", json.dumps(tasks, indent=1))
    err = format_error(path)
    assert "task 2" in str(err) and "outside the text" in str(err)
    assert err.line == 7
    mismatch = [
        {
            "data": {"text": "abc"},
            "annotations": [
                {
                    "result": [
                        {
                            "type": "labels",
                            "value": {"start": 0, "end": 1, "text": "zz", "labels": ["X"]},
                        }
                    ]
                }
            ],
        }
    ]
    mismatch_path = write_bytes(tmp_path, "m.json", json.dumps(mismatch))
    assert "export says" in str(format_error(mismatch_path))
    assert format_error(write_bytes(tmp_path, "e.json", "[]"), "labelstudio").reason.startswith(
        "no documents"
    )
    assert (
        format_error(write_bytes(tmp_path, "t.json", '[{"data": {}}, 1 2]'), "labelstudio").line
        == 1
    )


# ---- errors -------------------------------------------------------------------------------------


def test_broken_json_on_line_57_names_line_57(tmp_path: Path) -> None:
    records: list[object] = [{"text": f"Sentence {i}.", "spans": []} for i in range(80)]
    records[56] = '{"text": "broken", "spans": [}'
    err = format_error(jsonl_file(tmp_path, *records))
    assert err.line == 57 and "invalid JSON" in str(err)
    assert str(err).startswith(f"{tmp_path / 'in.jsonl'}:57: ")


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ({"start": 0, "end": 99, "label": "X"}, "outside the text"),
        ({"start": -1, "end": 2, "label": "X"}, "outside the text"),
        ({"start": 3, "end": 1, "label": "X"}, "empty or reversed"),
        ({"start": 2, "end": 2, "label": "X"}, "empty or reversed"),
        ({"start": 0.0, "end": 2, "label": "X"}, "must be an integer"),
        ({"start": "0", "end": 2, "label": "X"}, "must be an integer"),
        ({"start": True, "end": 2, "label": "X"}, "must be an integer"),
        ({"start": 10**40, "end": 10**41, "label": "X"}, "outside the text"),
        ({"start": 0, "end": 2, "label": 5}, "label must be a string"),
        ({"start": 0, "end": 2, "label": " "}, "label is empty"),
        ({"start": 0, "end": 2}, 'has no "label"'),
        ("not a span", "is not an object"),
    ],
)
def test_bad_spans_name_the_record_line(tmp_path: Path, span: object, message: str) -> None:
    path = jsonl_file(tmp_path, {"text": "fine"}, {"text": "Hello world", "spans": [span]})
    err = format_error(path)
    assert err.line == 2 and message in str(err)


def test_overlapping_spans_are_refused(tmp_path: Path) -> None:
    spans = [{"start": 0, "end": 5, "label": "A"}, {"start": 3, "end": 8, "label": "B"}]
    err = format_error(jsonl_file(tmp_path, {"text": "Hello world", "spans": spans}))
    assert "overlap" in str(err) and err.line == 1
    doccano = jsonl_file(tmp_path, {"text": "Hello world", "label": [[0, 5, "A"], [0, 5, "A"]]})
    assert "overlap" in str(format_error(doccano, "doccano"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "a", "spans": [{"start": NaN, "end": 1, "label": "X"}]}', "NaN"),
        ('{"text": "a", "score": Infinity}', "Infinity"),
        ('{"text": "\\ud800"}', "lone surrogate"),
        ('{"text": "ok", "meta": "\\udfff"}', "cannot be stored"),
        ('{"text": "ok", "spans": [{"start": 0, "end": 1, "label": "\\ud800"}]}', "lone surrogate"),
        ('{"text": 5}', '"text" is not a string'),
        ('{"spans": []}', 'no "text" key'),
        ('["text"]', "expected a JSON object"),
        ('{"text": "a", "spans": {}}', '"spans" must be a list'),
        ('{"text": "a", "n": 1' + "0" * 5000 + "}", "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
    ],
)
def test_bad_values_become_format_errors(tmp_path: Path, line: str, message: str) -> None:
    err = format_error(jsonl_file(tmp_path, {"text": "first"}, line), "jsonl")
    assert err.line == 2 and message in str(err)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"text": "abc", "label": [[0, 1]]}, "must be [start, end, label]"),
        ({"text": "abc", "label": "PER"}, "must be a list"),
        ({"text": "abc", "entities": [{"start_offset": 0, "label": "X"}]}, 'no "end_offset"'),
        ({"text": "abc", "label": [[0, 1, None]]}, "label must be a string"),
    ],
)
def test_bad_doccano_records(tmp_path: Path, record: object, message: str) -> None:
    assert message in str(format_error(jsonl_file(tmp_path, record), "doccano"))


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \n\r\n\t"])
@pytest.mark.parametrize("fmt", [None, "jsonl", "conll", "text"])
def test_empty_file(tmp_path: Path, content: bytes, fmt: str | None) -> None:
    assert format_error(write_bytes(tmp_path, "e.jsonl", content), fmt).reason == "empty file"


def test_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "bad.jsonl", b'{"text": "ok"}\n{"text": "ok"}\n{"text": "\xff"}\n')
    err = format_error(path)
    assert err.line == 3 and "not valid UTF-8" in str(err)
    utf16 = write_bytes(tmp_path, "u.txt", "hello".encode("utf-16"))
    assert "UTF-16" in str(format_error(utf16, "text"))


def test_max_bytes_refuses_before_reading(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "big.txt", "x" * 3 * 1024 * 1024)
    err = format_error(path, max_bytes=2 * 1024 * 1024)
    assert err.reason == "file is 3.0 MB; the limit is 2.0 MB"
    assert read_file(path, max_bytes=3 * 1024 * 1024)[0].text == "x" * 3 * 1024 * 1024


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    assert "unknown import format" in str(format_error(DATA / "plain.txt", "excel"))
    assert "cannot read the file" in str(format_error(tmp_path / "missing.jsonl"))


# ---- writers ------------------------------------------------------------------------------------


def test_jsonl_and_doccano_writers_restore_metadata(tmp_path: Path) -> None:
    docs = read_file(DATA / "spans.jsonl")
    assert write_file(docs, tmp_path / "o.jsonl", "jsonl") == 4
    lines = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text("utf-8").splitlines()]
    assert lines[0] == {
        "text": "Ada Quist visited Tromsø.",
        "spans": [{"start": 0, "end": 9, "label": "PER"}, {"start": 18, "end": 24, "label": "LOC"}],
        "meta": {"source": "notes"},
        "id": 7,
    }
    assert "spans" not in lines[2]  # unlabelled stays unlabelled
    assert write_file(docs, tmp_path / "o.doccano", "doccano") == 4
    again = read_file(tmp_path / "o.doccano", "doccano")
    assert [(d.text, d.spans, d.metadata, d.labelled) for d in again] == [
        (d.text, d.spans, d.metadata, d.labelled) for d in docs
    ]


def test_written_jsonl_escapes_unicode_line_separators(tmp_path: Path) -> None:
    doc = DocumentData(text="a\u2028b\u2029c\x85d", spans=[SpanData(0, 1, "X")])
    write_file([doc], tmp_path / "o.jsonl", "jsonl")
    raw = (tmp_path / "o.jsonl").read_text("utf-8")
    assert len(raw.splitlines()) == 1
    assert read_file(tmp_path / "o.jsonl")[0].text == doc.text


def test_hf_writer_writes_records_and_a_labels_file(tmp_path: Path) -> None:
    doc = DocumentData(
        text="Ada Quist met Bo at Kiri Labs.",
        spans=[SpanData(0, 9, "PER"), SpanData(14, 16, "PER"), SpanData(20, 29, "ORG")],
    )
    assert write_file([doc], tmp_path / "train.jsonl", "hf", labels=["LOC", "PER"]) == 1
    [record] = [json.loads(x) for x in (tmp_path / "train.jsonl").read_text().splitlines()]
    side = json.loads((tmp_path / "train.labels.json").read_text())
    assert side["names"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER", "B-ORG", "I-ORG"]
    assert side["label2id"]["B-ORG"] == 5
    assert record["tokens"] == ["Ada", "Quist", "met", "Bo", "at", "Kiri", "Labs", "."]
    assert [side["names"][i] for i in record["ner_tags"]] == [
        "B-PER",
        "I-PER",
        "O",
        "B-PER",
        "O",
        "B-ORG",
        "I-ORG",
        "O",
    ]


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("old\n")
    bad = DocumentData(text="x", metadata={"score": float("nan")})
    with pytest.raises(FormatError) as info:
        write_file([DocumentData(text="fine"), bad], out, "jsonl")
    assert info.value.path == str(out)
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.jsonl"]
    with pytest.raises(FormatError, match="lone surrogate|UTF-8"):
        write_file([DocumentData(text="\ud800")], out, "jsonl")
    assert out.read_text() == "old\n"
    with pytest.raises(FormatError, match="unknown export format"):
        write_file([], out, "xlsx")


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    write_file([DocumentData(text="a")], tmp_path / "o.jsonl", "jsonl")
    assert (tmp_path / "o.jsonl").stat().st_mode & 0o777 == 0o644
