"""engine.text.bio: the one tag parsing contract, spans → tags and tags → spans."""

from __future__ import annotations

import pytest

from engine.text.bio import (
    bio_spans,
    check_bio_tags,
    looks_like_tag,
    offsets_to_bio,
    parse_tag,
    repair_bio,
    span_tokens,
    tag_names,
)
from engine.types import SpanData


def test_parse_tag_accepts_every_scheme_prefix_and_raises_otherwise() -> None:
    assert parse_tag("O") == ("O", "")
    assert parse_tag("B-PER") == ("B", "PER")
    assert parse_tag("U-B-X") == ("U", "B-X")
    for bad in ("", "B", "B-", "X-PER", "BB-PER", "o"):
        with pytest.raises(ValueError, match="not a tag"):
            parse_tag(bad)
        assert not looks_like_tag(bad)
    assert looks_like_tag("E-LOC")


def test_bio_only_functions_refuse_other_schemes() -> None:
    assert check_bio_tags(tag_names(["PER", "LOC"])) == ["PER", "LOC"]
    with pytest.raises(ValueError, match="not a BIO tag"):
        check_bio_tags(["O", "S-PER"])
    with pytest.raises(ValueError, match="no 'O'"):
        check_bio_tags(["B-PER"])
    with pytest.raises(ValueError, match="not a BIO tag"):
        bio_spans(["O", "E-PER"])


def test_lenient_bio_decoding_and_repair() -> None:
    tags = ["I-PER", "I-PER", "B-PER", "I-LOC", "O", "I-LOC"]
    assert bio_spans(tags) == [(0, 2, "PER"), (2, 3, "PER"), (3, 4, "LOC"), (5, 6, "LOC")]
    assert repair_bio(tags) == ["B-PER", "I-PER", "B-PER", "B-LOC", "O", "B-LOC"]


def test_offsets_to_bio_tags_whole_tokens_inside_spans() -> None:
    # "Ann Lee met Bo" with a span over "Ann Lee" and one over "Bo"
    tokens = [(0, 3), (4, 7), (8, 11), (12, 14)]
    spans = [SpanData(0, 7, "PER"), SpanData(12, 14, "PER"), SpanData(9, 10, "LOC")]
    assert span_tokens(tokens, spans) == [[0, 1], [3], []]
    assert offsets_to_bio(tokens, spans) == ["B-PER", "I-PER", "O", "B-PER"]
    assert tag_names(["A"]) == ["O", "B-A", "I-A"]
