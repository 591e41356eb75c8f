"""Hostile and malformed input: every file ends in a clear FormatError with file (and line where
it has one) or in a correct import — never a traceback, never a partial import."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.api import Project
from engine.errors import FormatError
from engine.formats import read_file
from engine.label_names import is_label_name, map_label_name

NASTY: dict[str, tuple[str, bytes, int | None]] = {
    # name: (format, content, expected error line or None for "imports fine")
    "bom_jsonl": ("jsonl", '\ufeff{"text": "Ana", "spans": []}\n'.encode(), None),
    "truncated_last_line": ("jsonl", b'{"text": "a", "spans": []}\n{"text": "b", "sp', 2),
    "lone_surrogate": ("jsonl", b'{"text": "bad \\ud800 here", "spans": []}\n', 1),
    "nan_offset": (
        "jsonl",
        b'{"text": "abc", "spans": [{"start": NaN, "end": 2, "label": "X"}]}\n',
        1,
    ),
    "huge_int": (
        "jsonl",
        b'{"text": "abc", "spans": [{"start": 0, "end": ' + b"9" * 5000 + b', "label": "X"}]}\n',
        1,
    ),
    "float_offset": (
        "jsonl",
        b'{"text": "abc", "spans": [{"start": 0.5, "end": 2, "label": "X"}]}\n',
        1,
    ),
    "text_not_string": ("jsonl", b'{"text": 12, "spans": []}\n', 1),
    "spans_not_list": ("jsonl", b'{"text": "abc", "spans": "0-2"}\n', 1),
    "label_not_string": (
        "jsonl",
        b'{"text": "abc", "spans": [{"start": 0, "end": 2, "label": 5}]}\n',
        1,
    ),
    "span_outside": (
        "jsonl",
        b'{"text": "ok"}\n{"text": "abc", "spans": [{"start": 1, "end": 9, "label": "X"}]}\n',
        2,
    ),
    "start_after_end": (
        "jsonl",
        b'{"text": "abcdef", "spans": [{"start": 4, "end": 2, "label": "X"}]}\n',
        1,
    ),
    "overlap": (
        "jsonl",
        b'{"text": "abcdef", "spans": [{"start": 0, "end": 3, "label": "X"},'
        b' {"start": 2, "end": 5, "label": "Y"}]}\n',
        1,
    ),
    "array_line": ("jsonl", b"[1, 2, 3]\n", 1),
    "doccano_bad_triple": ("doccano", b'{"text": "abc", "label": [[0, "x", "L"]]}\n', 1),
    "stray_i_tag": ("conll", b"EU B-ORG\nrejects O\n\nGerman O\ncall I-MISC\n", 5),
    "unknown_tag": ("conll", b"EU B-ORG\nrejects Q-X\n", 2),
    "mixed_tabs_spaces": ("conll", b"EU\tB-ORG\nrejects  O\nGerman \t B-MISC\n", None),
    "one_column": ("conll", b"EU B-ORG\nrejects\n", 2),
    "empty": ("jsonl", b"", None),
    "only_whitespace": ("text", b"  \n\t\n", None),
    "bad_utf8": ("text", b"fine line\nbad \xff\xfe byte\n", 2),
    "labelstudio_not_list": ("labelstudio", b'{"data": {"text": "x"}}', None),
    "labelstudio_bad_result": (
        "labelstudio",
        b'[{"data": {"text": "abc"}, "annotations": '
        b'[{"result": [{"type": "labels", "value": '
        b'{"start": 0, "end": 99, "labels": ["X"]}}]}]}]',
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_file_is_rejected_cleanly_or_imported(
    tmp_path: Path, name: str, project: Project
) -> None:
    fmt, content, line = NASTY[name]
    path = tmp_path / f"{name}.dat"
    path.write_bytes(content)
    before = project.stats()
    try:
        report = project.import_files([path], fmt)
    except FormatError as exc:
        assert exc.path == str(path), exc
        if line is not None:
            assert exc.line == line, exc
        assert project.stats() == before, "nothing stored from a rejected file"
        assert "Traceback" not in str(exc)
        return
    assert name in ("bom_jsonl", "mixed_tabs_spaces", "labelstudio_not_list"), (
        f"{name} should have been rejected"
    )
    assert report.documents == 1
    seg = project.segments()[0]
    assert not seg.text.startswith("\ufeff")


def test_multi_gigabyte_file_is_refused_before_reading(tmp_path: Path, project: Project) -> None:
    big = tmp_path / "huge.jsonl"
    with open(big, "wb") as fh:  # sparse: takes no disk space
        fh.truncate(3 * 1024**3)
    project.set_setting("max_import_mb", 100)
    with pytest.raises(FormatError, match="limit"):
        project.import_files([big], "jsonl")


def test_long_single_line_imports(tmp_path: Path, project: Project) -> None:
    words = ("Ana Lopez flew to Oslo for Acme and back " * 130_000)[:5_000_000]
    path = tmp_path / "long.txt"
    path.write_text(words, encoding="utf-8")
    report = project.import_files([path], "text")
    assert report.documents == 1 and report.segments >= 1
    assert project.document_text(project.segments()[0].document_id) == words


def test_failed_second_file_stores_nothing_from_either(tmp_path: Path, project: Project) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"text": "Ana.", "spans": []}) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "spans": [{"start": 0}]}\n', encoding="utf-8")
    with pytest.raises(FormatError):
        project.import_files([good, bad], "jsonl")
    assert project.stats()["documents"] == 0


VERBATIM = [
    "Robert'); DROP TABLE spans;--",
    '<img src=x onerror="alert(1)"> <b>bold</b>',
    "$(rm -rf ~); `id` && echo | cat > /etc/passwd",
    "\u202eevil\u202c reversed \u200f",
    "nul\x00inside",
    "L" * 10_000,
]


@pytest.mark.parametrize("value", VERBATIM, ids=["sql", "html", "shell", "rtl", "nul", "long"])
def test_names_and_texts_are_stored_verbatim(tmp_path: Path, project: Project, value: str) -> None:
    path = tmp_path / "v.jsonl"
    text = f"{value} and more"
    record = {"text": text, "spans": [{"start": 0, "end": len(value.rstrip()), "label": value}]}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    project.import_files([path], "jsonl")
    seg = project.segments()[0]
    assert project.document_text(seg.document_id) == text
    (span,) = project.annotations.spans(seg.id)
    # texts are stored verbatim; label names follow the label-name rule (mapped on import)
    expected = map_label_name(value)
    assert expected is not None and is_label_name(expected)
    assert span.label == expected
    assert expected in [lab.name for lab in project.labels.get_all()]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "text",
                    "spans",
                    "label",
                    "start",
                    "end",
                    "data",
                    "annotations",
                    "result",
                    "value",
                    "labels",
                    "meta",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    records=st.lists(json_values, min_size=1, max_size=4),
    fmt=st.sampled_from(["jsonl", "doccano", "labelstudio"]),
)
def test_fuzzed_json_records_never_crash(tmp_path: Path, records: list, fmt: str) -> None:
    path = tmp_path / "fuzz.json"
    if fmt == "labelstudio":
        payload = json.dumps(records)
    else:
        payload = "\n".join(json.dumps(r) for r in records)
    path.write_text(payload, encoding="utf-8")
    try:
        docs = read_file(path, fmt)
    except FormatError as exc:
        assert exc.path == str(path)
        return
    for doc in docs:
        for span in doc.spans:
            assert 0 <= span.start < span.end <= len(doc.text)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=st.binary(max_size=300),
    fmt=st.sampled_from(["jsonl", "doccano", "labelstudio", "conll", "text", "text-lines", None]),
)
def test_fuzzed_bytes_never_crash(tmp_path: Path, data: bytes, fmt: str | None) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    try:
        read_file(path, fmt)
    except FormatError as exc:
        assert exc.path == str(path)


def test_symlinked_or_unreadable_file_is_a_clear_error(tmp_path: Path, project: Project) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(FormatError, match="cannot read"):
        project.import_files([missing], "jsonl")
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.jsonl"
        locked.write_text("{}", encoding="utf-8")
        locked.chmod(0)
        with pytest.raises(FormatError):
            project.import_files([locked], "jsonl")
