"""Word tokens with code-point offsets.

Rules (close to spaCy's English tokenizer where it matters for NER): words of letters, marks and
digits with inner apostrophes (a possessive ``'s`` is its own token); dotted abbreviations
(``U.S.``) stay whole; hyphens split (``York-based`` → ``York`` ``-`` ``based``); numbers
keep inner ``.``/``,``; each Han character is a token and a run of kana is one; any other visible
grapheme cluster (punctuation, an emoji with its modifiers and joiners) is one token.
"""

from __future__ import annotations

from typing import NamedTuple

import regex

# Han ideographs are one token each (as BERT's tokenizer splits them); kana runs are words.
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
_KANA = r"\p{Hiragana}\p{Katakana}ー"
_TOKEN_RE = regex.compile(
    rf"""
      (?:\p{{L}}\p{{M}}*\.){{2,}}                                # abbreviations: U.S., e.g.
    | \p{{N}}+(?:[.,:/]\p{{N}}+)*\p{{M}}*                       # numbers: 3.5, 1,000, 12:30
    | \p{{Han}}\p{{M}}*                                            # one Han character
    | [{_KANA}]+                                                 # a run of kana
    | ['’][sS](?![\p{{L}}\p{{M}}\p{{N}}])                          # possessive 's
    | (?:(?![{_CJK}])[\p{{L}}\p{{M}}\p{{N}}_])+
      (?:['’](?![sS](?![\p{{L}}\p{{M}}\p{{N}}]))(?:(?![{_CJK}])[\p{{L}}\p{{M}}])+)*  # don't
    | (?!\s)\X                                                   # any other grapheme cluster
    """,
    regex.VERBOSE,
)
_SPACE_RE = regex.compile(r"\S+")


class Token(NamedTuple):
    start: int
    end: int


def word_tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Word tokens of ``text[start:end]`` with offsets on ``text``."""
    stop = len(text) if end is None else end
    return [Token(m.start(), m.end()) for m in _TOKEN_RE.finditer(text, start, stop)]


def whitespace_tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Whitespace-separated tokens (the word boundaries of pre-tokenised CoNLL text)."""
    stop = len(text) if end is None else end
    return [Token(m.start(), m.end()) for m in _SPACE_RE.finditer(text, start, stop)]


def split_tokens_at(tokens: list[Token], cuts: set[int]) -> list[Token]:
    """Split tokens at the given offsets (span boundaries that fall inside a token)."""
    out: list[Token] = []
    for tok in tokens:
        inner = sorted(c for c in cuts if tok.start < c < tok.end)
        begin = tok.start
        for c in inner:
            out.append(Token(begin, c))
            begin = c
        out.append(Token(begin, tok.end))
    return out
