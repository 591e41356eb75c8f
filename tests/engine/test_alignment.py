"""Labels → words → first sub-token BIO labels, windows, and the alignment report."""

from __future__ import annotations

import pytest

from engine.inference.windows import special_tokens
from engine.models import load_tokenizer
from engine.text.bio import tag_names
from engine.training.examples import (
    IGNORE,
    AlignmentReport,
    encode_examples,
    example_words,
    window_rows,
)
from engine.types import LabelledExample, SpanData
from tests.engine.tiny_model import build_tiny_model

TAGS = tag_names(["PER", "LOC"])
TAG_IDS = {t: i for i, t in enumerate(TAGS)}


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    return load_tokenizer(build_tiny_model(tmp_path_factory.mktemp("tiny"), ["PER", "LOC"]))


def spans_of(text: str, *pairs: tuple[str, str]) -> tuple[SpanData, ...]:
    out = []
    for surface, label in pairs:
        start = text.index(surface)
        out.append(SpanData(start, start + len(surface), label))
    return tuple(out)


def encode_one(
    tokenizer,
    text: str,
    *pairs: tuple[str, str],
    tokenized: bool = False,
    max_length: int = 64,
    stride: int = 8,
):
    example = LabelledExample(7, text, spans_of(text, *pairs), tokenized)
    report = AlignmentReport()
    [encoded] = encode_examples([example], tokenizer, TAG_IDS, max_length, stride, report)
    return encoded, report


def labelled_tokens(tokenizer, encoded) -> list[tuple[str, str]]:
    """(sub-token, tag) for every sub-token that carries a label."""
    pieces = tokenizer.convert_ids_to_tokens(encoded.ids.tolist())
    return [(pieces[i], TAGS[lab]) for i, lab in enumerate(encoded.labels) if lab != IGNORE]


def test_tag_goes_on_first_subtoken_only(tokenizer) -> None:
    encoded, report = encode_one(
        tokenizer, "angela merkels visited paris", ("angela merkels", "PER"), ("paris", "LOC")
    )
    assert encoded.tags == ("B-PER", "I-PER", "O", "B-LOC")
    assert labelled_tokens(tokenizer, encoded) == [
        ("angela", "B-PER"),
        ("merkel", "I-PER"),
        ("visited", "O"),
        ("paris", "B-LOC"),
    ]
    pieces = tokenizer.convert_ids_to_tokens(encoded.ids.tolist())
    assert encoded.labels[pieces.index("##s")] == IGNORE
    assert report.entities == 2 and report.unaligned_spans == 0


def test_emoji_are_words_and_do_not_shift_offsets(tokenizer) -> None:
    text = "mary ❤️ paris 😀👍🏽 and john"
    encoded, report = encode_one(tokenizer, text, ("paris", "LOC"), ("john", "PER"))
    words = [text[w.start : w.end] for w in encoded.words]
    assert words == ["mary", "❤️", "paris", "😀", "👍🏽", "and", "john"]
    assert encoded.tags == ("O", "O", "B-LOC", "O", "O", "O", "B-PER")
    assert ("paris", "B-LOC") in labelled_tokens(tokenizer, encoded)
    assert ("john", "B-PER") in labelled_tokens(tokenizer, encoded)
    assert report.unaligned_spans == 0


def test_cjk_characters_are_words(tokenizer) -> None:
    encoded, report = encode_one(tokenizer, "john visited 東京 today", ("東京", "LOC"))
    assert encoded.tags == ("O", "O", "B-LOC", "I-LOC", "O")
    assert labelled_tokens(tokenizer, encoded)[2:4] == [("東", "B-LOC"), ("京", "I-LOC")]
    assert report.entities == 1


def test_combining_marks_stay_in_their_word(tokenizer) -> None:
    text = "mary met the cafe\u0301 club in paris"
    encoded, report = encode_one(tokenizer, text, ("cafe\u0301 club", "LOC"))
    words = [text[w.start : w.end] for w in encoded.words]
    assert "cafe\u0301" in words
    assert labelled_tokens(tokenizer, encoded)[3:5] == [("cafe", "B-LOC"), ("club", "I-LOC")]
    assert report.unaligned_spans == 0


def test_york_based_splits_at_the_hyphen(tokenizer) -> None:
    text = "a new york-based bank"
    encoded, _ = encode_one(tokenizer, text, ("new york", "LOC"))
    words = [text[w.start : w.end] for w in encoded.words]
    assert words == ["a", "new", "york", "-", "based", "bank"]
    assert encoded.tags == ("O", "B-LOC", "I-LOC", "O", "O", "O")
    tagged = labelled_tokens(tokenizer, encoded)
    assert tagged[:4] == [("a", "O"), ("new", "B-LOC"), ("york", "I-LOC"), ("-", "O")]
    assert tagged[4] == ("b", "O") and len(tagged) == 6  # "based" is b ##a ##s ##ed


def test_dotted_abbreviation_is_one_word(tokenizer) -> None:
    text = "the u.s. president"
    encoded, _ = encode_one(tokenizer, text, ("u.s.", "LOC"))
    assert [text[w.start : w.end] for w in encoded.words] == ["the", "u.s.", "president"]
    assert labelled_tokens(tokenizer, encoded) == [("the", "O"), ("u", "B-LOC"), ("president", "O")]


def test_span_inside_a_token_splits_it(tokenizer) -> None:
    text = "parisclub met"
    encoded, report = encode_one(tokenizer, text, ("paris", "LOC"))
    assert [text[w.start : w.end] for w in encoded.words] == ["paris", "club", "met"]
    assert encoded.tags[0] == "B-LOC" and report.unaligned_spans == 0


def test_pretokenized_text_uses_whitespace_words() -> None:
    example = LabelledExample(1, "U.S.-based firm", (SpanData(0, 4, "LOC"),), tokenized=True)
    words = example_words(example)
    assert [example.text[w.start : w.end] for w in words] == ["U.S.", "-based", "firm"]


def test_unalignable_span_is_reported_not_moved(tokenizer) -> None:
    text = "john \u200b paris"
    example = LabelledExample(3, text, (SpanData(5, 6, "PER"), SpanData(7, 12, "LOC")))
    report = AlignmentReport()
    [encoded] = encode_examples([example], tokenizer, TAG_IDS, 64, 8, report)
    assert report.unaligned_spans == 1 and report.entities == 1
    assert "segment 3 [5, 6) PER" in report.problems[0]
    assert labelled_tokens(tokenizer, encoded) == [("john", "O"), ("paris", "B-LOC")]
    assert any("could not be aligned" in line for line in report.log_lines())


def test_entity_beyond_the_first_window_is_labelled(tokenizer) -> None:
    text = " ".join(["the city"] * 60) + " john smith visited berlin"
    encoded, report = encode_one(
        tokenizer, text, ("john smith", "PER"), ("berlin", "LOC"), max_length=32, stride=8
    )
    assert len(encoded.windows) > 3 and report.windows == len(encoded.windows)
    covered = set()
    for start, end in encoded.windows:
        assert end - start <= 32 - 2
        covered.update(range(start, end))
    assert covered == set(range(len(encoded.ids)))  # nothing truncated
    rows = window_rows([encoded], special_tokens(tokenizer.backend_tokenizer, tokenizer.pad_token))
    last_ids, last_labels = rows[-1]
    assert len(last_ids) <= 32
    pieces = tokenizer.convert_ids_to_tokens(last_ids)
    tagged = [(pieces[i], TAGS[lab]) for i, lab in enumerate(last_labels) if lab != IGNORE]
    assert tagged[-4:] == [
        ("john", "B-PER"),
        ("smith", "I-PER"),
        ("visited", "O"),
        ("berlin", "B-LOC"),
    ]
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"


def test_report_counts(tokenizer) -> None:
    examples = [
        LabelledExample(
            i, "john smith visited paris", (SpanData(0, 10, "PER"), SpanData(19, 24, "LOC"))
        )
        for i in range(3)
    ]
    report = AlignmentReport()
    encode_examples(examples, tokenizer, TAG_IDS, 64, 8, report)
    assert report.counts() == {
        "sentences": 3,
        "windows": 3,
        "tokens": 12,
        "subtokens": 12,
        "entities": 6,
        "unaligned_spans": 0,
        "partial_spans": 0,
    }
