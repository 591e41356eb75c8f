"""engine.formats CoNLL reader and writer, and the CoNLL-2003 benchmark files when present."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.errors import FormatError
from engine.formats import read_file, write_file
from engine.formats.conll import document_sentences
from engine.types import DocumentData, SpanData

DATA = Path(__file__).parent / "data"
CONLL2003 = Path(__file__).parents[3] / "shared/data/conll2003"

EXPECTED_SPANS = [
    ("Maren Olsen", "PER"),
    ("Tromsø", "LOC"),
    ("Kettle Works Guild", "ORG"),
    ("Ada Quist", "PER"),
    ("Bo Lind", "PER"),
    ("Oslo", "LOC"),
    ("Rome", "LOC"),
    ("Lima", "LOC"),
]


def spans_text(doc: DocumentData) -> list[tuple[str, str]]:
    return [(doc.text[s.start : s.end], s.label) for s in doc.spans]


def conll(tmp_path: Path, text: str | bytes, name: str = "in.conll") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def error(path: Path, **kw: bool) -> FormatError:
    with pytest.raises(FormatError) as info:
        read_file(path, "conll", **kw)
    assert info.value.path == str(path)
    return info.value


# ---- reading ------------------------------------------------------------------------------------


def test_iob2_document_text_segments_and_spans() -> None:
    [doc] = read_file(DATA / "scheme_iob2.conll")
    lines = doc.text.split("\n")
    assert lines[0] == "Maren Olsen moved to Tromsø ."
    assert lines[2] == lines[4] == "Nothing here !"  # repeated sentences are kept
    assert len(lines) == 5
    assert [doc.text[s:e] for s, e in doc.segments or []] == lines
    assert spans_text(doc) == EXPECTED_SPANS
    assert (doc.tokenized, doc.labelled, doc.line) == (True, True, 1)


@pytest.mark.parametrize("scheme", ["iob1", "bioes", "bilou"])
def test_schemes_read_the_same(scheme: str) -> None:
    [ref] = read_file(DATA / "scheme_iob2.conll")
    [doc] = read_file(DATA / f"scheme_{scheme}.conll")
    assert (doc.text, doc.spans, doc.segments) == (ref.text, ref.spans, ref.segments)


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
def test_crlf_bom_and_tabs_read_the_same(tmp_path: Path, scheme: str) -> None:
    raw = (DATA / f"scheme_{scheme}.conll").read_text("utf-8")
    variant = "\ufeff" + raw.replace(" ", "\t \t").replace("\n", "\r\n")
    [doc] = read_file(conll(tmp_path, variant))
    [ref] = read_file(DATA / "scheme_iob2.conll")
    assert (doc.text, doc.spans, doc.segments) == (ref.text, ref.spans, ref.segments)


def test_docstart_splits_documents_and_middle_columns_are_ignored() -> None:
    docs = read_file(DATA / "columns_tabs.conll")
    assert [d.text for d in docs] == [
        "Lotte Brandt sings .",
        "Kiri Labs opened in Dunedin\nIt rained",
    ]
    assert [spans_text(d) for d in docs] == [
        [("Lotte Brandt", "PER")],
        [("Kiri Labs", "ORG"), ("Dunedin", "LOC")],
    ]
    assert [d.line for d in docs] == [1, 8]
    assert docs[1].segments == [(0, 27), (28, 37)]


def test_a_file_without_final_newline_and_with_trailing_blank_lines(tmp_path: Path) -> None:
    [doc] = read_file(conll(tmp_path, "\n\nA B-X\nb O\n\n\n\nc B-Y"))
    assert doc.text == "A b\nc" and spans_text(doc) == [("A", "X"), ("c", "Y")]


def test_unicode_tokens_are_kept(tmp_path: Path) -> None:
    [doc] = read_file(conll(tmp_path, "東京 B-LOC\n🙂 O\ne\u0301te\u0301 B-MISC\n\x1cx O\n"))
    assert doc.text == "東京 🙂 e\u0301te\u0301 \x1cx"
    assert spans_text(doc) == [("東京", "LOC"), ("e\u0301te\u0301", "MISC")]


def test_stray_i_in_iob2_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = conll(tmp_path, "Ada B-PER\nmet O\nBo I-PER\nLind I-PER\n")
    err = error(path)
    assert err.line == 3 and "stray I-PER" in str(err) and "line 1" in str(err)
    [doc] = read_file(path, "conll", strict=False)
    assert spans_text(doc) == [("Ada", "PER"), ("Bo Lind", "PER")]


def test_i_after_another_type_is_stray_in_iob2(tmp_path: Path) -> None:
    path = conll(tmp_path, "Ada B-PER\nLabs I-ORG\n")
    assert error(path).line == 2
    assert spans_text(read_file(path, "conll", strict=False)[0]) == [
        ("Ada", "PER"),
        ("Labs", "ORG"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Ada S-PER\nBo I-PER\n", 2, "stray I-PER"),
        ("Ada S-PER\nBo E-PER\n", 2, "stray E-PER"),
        ("Ada B-PER\nBo O\n\nx S-X\n", 2, "not closed"),
        ("Ada B-PER\nBo B-PER\nLind E-PER\n", 2, "not closed"),
        ("Ada B-PER\nBo I-PER\n\nx S-X\n", 2, "before the sentence ends"),
        ("Ada B-PER\nLabs E-ORG\n", 2, "not closed"),
    ],
)
def test_bioes_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = conll(tmp_path, text)
    err = error(path)
    assert err.line == line and message in str(err)
    assert read_file(path, "conll", strict=False)[0].spans  # lenient reads something


def test_lenient_bioes_closes_and_starts_entities(tmp_path: Path) -> None:
    path = conll(tmp_path, "a B-X\nb O\nc I-Y\nd E-Y\ne E-Z\n")
    [doc] = read_file(path, "conll", strict=False)
    assert spans_text(doc) == [("a", "X"), ("c d", "Y"), ("e", "Z")]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Ada B-PER\nBo PER\n", 2, "unknown tag scheme"),
        ("Ada B-PER\nBo b-per\n", 2, "unknown tag scheme"),
        ("Ada B-\n", 1, "unknown tag scheme"),
        ("Ada B-PER\n\nlonely\n", 3, "expected a token and a tag"),
        ("Ada B-PER\n10\u00a0000 O\n", 2, "U+00A0"),
        ("Ada O\nB\u2028c O\n", 2, "U+2028"),
        ("Ada O\nB\rc O\n", 2, "U+000D"),
        ("-DOCSTART- -X- -X- O\n\n", None, "no sentences"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    err = error(conll(tmp_path, text))
    assert err.line == line and message in str(err)


def test_tabs_separate_columns_and_unicode_spaces_in_middle_columns_are_fine(
    tmp_path: Path,
) -> None:
    [doc] = read_file(conll(tmp_path, "Ada\tx\u00a0y\tB-PER\nQuist\t\tI-PER\n"))
    assert spans_text(doc) == [("Ada Quist", "PER")]


# ---- writing ------------------------------------------------------------------------------------


def test_export_of_an_import_is_byte_identical(tmp_path: Path) -> None:
    for name in ("scheme_iob2.conll", "columns_tabs.conll"):
        docs = read_file(DATA / name)
        out = tmp_path / name
        assert write_file(docs, out, "conll") == len(docs)
        again = read_file(out)
        assert [(d.text, d.spans, d.segments) for d in again] == [
            (d.text, d.spans, d.segments) for d in docs
        ]
    assert (tmp_path / "scheme_iob2.conll").read_bytes() == (
        DATA / "scheme_iob2.conll"
    ).read_bytes()
    assert (
        (tmp_path / "columns_tabs.conll")
        .read_text()
        .startswith("-DOCSTART- -X- -X- O\n\nLotte B-PER\nBrandt I-PER\nsings O\n. O\n\n-DOCSTART-")
    )


def test_untokenized_text_is_cut_into_words_and_at_span_edges(tmp_path: Path) -> None:
    text = "Kiri Labs' new office (in Dunedin) opened.\r\nMrs. Falk of KiriLabs smiled!"

    def at(word: str, label: str, cut: int | None = None) -> SpanData:
        start = text.index(word)
        return SpanData(start, start + (cut or len(word)), label)

    spans = [
        at("Kiri Labs", "ORG"),
        at("Dunedin", "LOC"),
        at("Mrs. Falk", "PER"),
        at("KiriLabs", "ORG", 4),
    ]
    doc = DocumentData(text=text, spans=spans)
    assert document_sentences(doc) == [
        (
            ["Kiri", "Labs", "'", "new", "office", "(", "in", "Dunedin", ")", "opened", "."],
            ["B-ORG", "I-ORG", "O", "O", "O", "O", "O", "B-LOC", "O", "O", "O"],
        ),
        (
            ["Mrs", ".", "Falk", "of", "Kiri", "Labs", "smiled", "!"],
            ["B-PER", "I-PER", "I-PER", "O", "B-ORG", "O", "O", "O"],
        ),
    ]


def test_a_span_across_a_sentence_boundary_keeps_the_sentences_together() -> None:
    doc = DocumentData(text="It ended. Then it began.", spans=[SpanData(3, 14, "EVENT")])
    assert document_sentences(doc) == [
        (
            ["It", "ended", ".", "Then", "it", "began", "."],
            ["O", "B-EVENT", "I-EVENT", "I-EVENT", "O", "O", "O"],
        )
    ]


def test_adjacent_spans_of_one_label_stay_apart() -> None:
    doc = DocumentData(
        text="Oslo Rome", spans=[SpanData(0, 4, "LOC"), SpanData(5, 9, "LOC")], tokenized=True
    )
    assert document_sentences(doc) == [(["Oslo", "Rome"], ["B-LOC", "B-LOC"])]


def test_a_span_on_whitespace_only_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    doc = DocumentData(text="a   b", spans=[SpanData(1, 3, "X")], line=4)
    assert document_sentences(doc) == [(["a", "b"], ["O", "O"])]
    assert "1 span(s) cover no token" in caplog.text


def test_labels_with_spaces_cannot_be_conll_tags(tmp_path: Path) -> None:
    doc = DocumentData(text="New York", spans=[SpanData(0, 8, "big city")])
    with pytest.raises(FormatError, match="contains whitespace"):
        write_file([doc], tmp_path / "o.conll", "conll")
    assert not list(tmp_path.iterdir())


def test_a_first_token_starting_with_u_feff_is_not_taken_for_a_bom(tmp_path: Path) -> None:
    doc = DocumentData(text="\ufeffx y", spans=[SpanData(0, 2, "X")], tokenized=True)
    write_file([doc], tmp_path / "o.conll", "conll")
    [again] = read_file(tmp_path / "o.conll")
    assert (again.text, again.spans) == (doc.text, doc.spans)


def test_documents_without_tokens_are_skipped(tmp_path: Path) -> None:
    docs = [DocumentData(text="One."), DocumentData(text="  \n "), DocumentData(text="Two.")]
    assert write_file(docs, tmp_path / "o.conll", "conll") == 2
    assert [d.text for d in read_file(tmp_path / "o.conll")] == ["One .", "Two ."]


# ---- the CoNLL-2003 benchmark (not part of the repository) -------------------------------------


def conll2003(name: str) -> Path:
    path = CONLL2003 / name
    if not path.exists():
        pytest.skip(f"{path} is absent (benchmark data, not shipped)")
    return path


def test_conll2003_test_reads_and_round_trips(tmp_path: Path) -> None:
    path = conll2003("test.txt")
    docs = read_file(path)
    assert sum(len(d.segments or []) for d in docs) == 3453
    assert sum(len(d.spans) for d in docs) == 5648
    out = tmp_path / "test.conll"
    write_file(docs, out, "conll")
    original = [ln.split() for ln in path.read_text("utf-8").splitlines()]
    exported = [ln.split() for ln in out.read_text("utf-8").splitlines()]
    assert exported == original
    again = read_file(out)
    assert [(d.text, d.spans) for d in again] == [(d.text, d.spans) for d in docs]


def test_conll2003_train_reads_fast() -> None:
    path = conll2003("train.txt")
    began = time.perf_counter()
    docs = read_file(path)
    elapsed = time.perf_counter() - began
    assert sum(len(d.segments or []) for d in docs) == 14041
    assert sum(len(d.spans) for d in docs) == 23499
    assert elapsed < 60.0  # about 0.2 s; the bound only catches a quadratic slip
