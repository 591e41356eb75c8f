"""Segmentation, word tokens and snapping."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ValidationError
from engine.text import segment_text, snap_span, word_tokens
from engine.text.tokens import split_tokens_at, whitespace_tokens


def words(text: str) -> list[str]:
    return [text[a:b] for a, b in word_tokens(text)]


def sentences(text: str, mode: str = "sentences") -> list[str]:
    return [text[a:b] for a, b in segment_text(text, mode)]


def test_tokens_split_punctuation_hyphens_and_keep_abbreviations() -> None:
    assert words("The York-based U.S. firm, Acme's unit, paid $3.5m.") == [
        "The",
        "York",
        "-",
        "based",
        "U.S.",
        "firm",
        ",",
        "Acme",
        "'s",
        "unit",
        ",",
        "paid",
        "$",
        "3.5",
        "m",
        ".",
    ]


def test_tokens_contractions_and_names_with_apostrophes() -> None:
    assert words("O'Neil's car isn't Okafor’s") == ["O'Neil", "'s", "car", "isn't", "Okafor", "’s"]


def test_tokens_emoji_cjk_and_combining_marks() -> None:
    text = "Zoe\u0308 saw 👍🏽 and 👨‍👩‍👧 in 東京 café"
    assert words(text) == ["Zoe\u0308", "saw", "👍🏽", "and", "👨‍👩‍👧", "in", "東", "京", "café"]


def test_tokens_offsets_are_code_points() -> None:
    text = "🙂 Ana"
    (a, b), (c, d) = word_tokens(text)
    assert (a, b, c, d) == (0, 1, 2, 5)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_tokens_cover_every_visible_character_once(text: str) -> None:
    toks = word_tokens(text)
    assert all(a < b for a, b in toks)
    assert all(toks[i].end <= toks[i + 1].start for i in range(len(toks) - 1))
    assert all(not regex.fullmatch(r"\s+", text[a:b]) for a, b in toks)  # tokenizer's notion
    for i, ch in enumerate(text):
        if not ch.isspace() and ch.isprintable():
            assert any(a <= i < b for a, b in toks), (text, i)


def test_sentences_abbreviations_initials_quotes_and_numbers() -> None:
    text = (
        "Dr. Smith met J. R. Tolkien in the U.S. Army. He paid 3.5 dollars! "
        '"Really?" she asked. It was Jan. 5.'
    )
    assert sentences(text) == [
        "Dr. Smith met J. R. Tolkien in the U.S. Army.",
        "He paid 3.5 dollars!",
        '"Really?" she asked.',
        "It was Jan. 5.",
    ]


def test_sentences_newlines_paragraphs_and_wrapped_lines() -> None:
    text = "Title Line\nThis sentence is\nwrapped over lines. Next one.\n\nNew paragraph"
    assert sentences(text) == [
        "Title Line",
        "This sentence is\nwrapped over lines.",
        "Next one.",
        "New paragraph",
    ]


def test_sentences_cjk_and_crlf() -> None:
    assert words("東京にカタカナを") == ["東", "京", "にカタカナを"]  # as BERT splits it
    assert sentences("東京に行った。大阪も。") == ["東京に行った。", "大阪も。"]
    assert sentences("One.\r\nTwo.") == ["One.", "Two."]


def test_lines_and_document_modes() -> None:
    text = "  a b \r\n\r\nc d\u2028e\n"
    assert sentences(text, "lines") == ["a b", "c d", "e"]
    assert sentences(text, "document") == ["a b \r\n\r\nc d\u2028e"]
    with pytest.raises(ValidationError):
        segment_text(text, "paragraphs")


def test_snap_modes() -> None:
    text = "New York-based Acme"
    assert snap_span(text, 2, 6, "expand") == (0, 8)
    assert snap_span(text, 2, 10, "contract") == (4, 8)  # the hyphen at the edge is trimmed
    assert snap_span(text, 2, 6, "strict") is None
    assert snap_span(text, 0, 8, "strict") == (0, 8)
    assert snap_span(text, 3, 4, "contract") is None
    assert snap_span(text, 0, 3, "expand") == (0, 3)
    assert snap_span(text, 3, 4, "expand") is None  # only whitespace selected


def test_split_tokens_at_and_whitespace_tokens() -> None:
    text = "EU rejects German-made"
    toks = whitespace_tokens(text)
    assert [text[a:b] for a, b in toks] == ["EU", "rejects", "German-made"]
    split = split_tokens_at(toks, {17})
    assert [text[a:b] for a, b in split] == ["EU", "rejects", "German", "-made"]


def test_expanding_snaps_trim_edge_punctuation() -> None:
    text = "They reached Jerez. Then, Zofia left (Aurora-2) 😀"
    jerez = text.index("Jerez")
    for mode in ("expand", "contract"):
        assert snap_span(text, jerez, jerez + 6, mode) == (jerez, jerez + 5)
    zofia = text.index(", Zofia")
    assert text[slice(*snap_span(text, zofia, zofia + 7))] == "Zofia"
    paren = text.index("(Aurora")
    assert text[slice(*snap_span(text, paren, paren + 10))] == "Aurora-2"
    assert snap_span(text, text.index("😀"), len(text)) is None
    assert snap_span(text, zofia, zofia + 1) is None  # only a comma
    assert snap_span(text, jerez, jerez + 6, "strict") == (jerez, jerez + 6)  # strict keeps it


def test_word_ranges_join_hyphens_and_drop_punctuation() -> None:
    from engine.text.snap import word_at, word_ranges

    text = "The Aurora-2 probe reached Jerez. al-Qarawiyyin and Merkel's (Paris) a - b 3.5km"
    assert [text[a:b] for a, b in word_ranges(text)] == [
        "The",
        "Aurora-2",
        "probe",
        "reached",
        "Jerez",
        "al-Qarawiyyin",
        "and",
        "Merkel",
        "Paris",
        "a",
        "b",
        "3.5km",
    ]
    assert text[slice(*word_at(text, text.index("rora")))] == "Aurora-2"
    assert word_at(text, text.index(" - ") + 1) is None


def test_suggestions_snap_to_whole_words_and_never_overlap() -> None:
    from engine.text.snap import snap_to_words

    text = "founded al-Qarawiyyin with al-Fihri - yes"
    q, f, dash = text.index("al-Q"), text.index("al-F"), text.index(" - ") + 1
    got = snap_to_words(
        text,
        [
            (q, q + 2, "PER", 0.5),
            (q + 2, q + 3, "LOC", 0.99),
            (q + 3, q + 9, "ORG", 0.7),
            (f + 3, f + 6, "PER", 0.8),
            (dash, dash + 1, "LOC", 0.9),
        ],
    )
    assert [(text[a:b], label) for a, b, label, _ in got] == [
        ("al-Qarawiyyin", "ORG"),
        ("al-Fihri", "PER"),
    ]


@pytest.mark.parametrize("mode", ["sentences", "lines"])
def test_a_segment_without_a_word_character_stays_with_its_neighbour(mode: str) -> None:
    assert sentences("Ada met Bob.\nHe left.\n😀", mode)[-1] == "He left.\n😀"
    assert sentences("😀\nAda met Bob.", mode) == ["😀\nAda met Bob."]
    assert sentences("One.\n---\nTwo.", mode) == ["One.\n---", "Two."]
    assert sentences("!!! ???", mode) == ["!!! ???"]  # nothing to join: kept whole
