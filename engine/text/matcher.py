"""Whole-word, token-aligned matching of phrases and spaCy-style token patterns.

A match always starts and ends on word-token boundaries (:mod:`engine.text.tokens`), so
"York" never matches inside "Yorkshire". A phrase ("New York") is tokenised like the text and
matches the same token sequence with the same spacing between its tokens (no space in
"U.S.-based" vs a space). Token patterns follow spaCy's ``Matcher``/Prodigy shape: a list of
token dicts with the keys ``orth``/``text`` (exact), ``lower`` (case-insensitive), the flags
``is_digit``/``is_alpha``/``is_punct``/``is_title``/``is_upper``/``is_lower`` and ``length``,
a value dict ``{"in": [...]}``/``{"not_in": [...]}`` and ``op`` ``?``, ``+``, ``*``, ``!``
(keys are case-insensitive, as in spaCy). At one position the longest match wins; overlapping
matches are resolved earliest-then-longest, so the result is a flat list of spans.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import FormatError, ValidationError
from engine.text.tokens import Token, whitespace_tokens, word_tokens

TokenTest = Callable[[str], bool]
_OPS = {"?": (0, 1), "+": (1, None), "*": (0, None), "!": (1, 1), "1": (1, 1)}


def _negated(test: TokenTest) -> TokenTest:
    return lambda word: not test(word)


_FLAGS: dict[str, TokenTest] = {
    "is_digit": str.isdigit,
    "is_alpha": str.isalpha,
    "is_title": str.istitle,
    "is_upper": str.isupper,
    "is_lower": str.islower,
    "is_punct": lambda t: bool(t) and not any(c.isalnum() for c in t),
}


def tokens_of(text: str, tokenized: bool = False) -> list[Token]:
    """The word tokens that matches align to (whitespace tokens for pre-tokenised text)."""
    return whitespace_tokens(text) if tokenized else word_tokens(text)


def fold(text: str, ignore_case: bool) -> str:
    return text.casefold() if ignore_case else text


@dataclass(frozen=True)
class Phrase:
    """A phrase as token texts plus whether a space separates each pair of tokens."""

    words: tuple[str, ...]
    gaps: tuple[bool, ...]

    @classmethod
    def parse(cls, phrase: str, ignore_case: bool = False) -> Phrase:
        toks = word_tokens(phrase)
        if not toks:
            raise ValidationError(f"{phrase!r} has no words to match", field="text")
        words = tuple(fold(phrase[t.start : t.end], ignore_case) for t in toks)
        gaps = tuple(a.end < b.start for a, b in zip(toks, toks[1:], strict=False))
        return cls(words, gaps)


def phrase_matches(
    text: str, phrase: str, *, ignore_case: bool = False, tokenized: bool = False
) -> list[tuple[int, int]]:
    """Non-overlapping ``[start, end)`` offsets of whole-word occurrences of ``phrase``."""
    wanted = Phrase.parse(phrase, ignore_case)
    toks = tokens_of(text, tokenized)
    words = [fold(text[t.start : t.end], ignore_case) for t in toks]
    starts = _phrase_starts(toks, words, wanted)
    return _resolve([(i, i + len(wanted.words)) for i in starts], toks)


def _phrase_starts(toks: Sequence[Token], words: Sequence[str], wanted: Phrase) -> list[int]:
    n = len(wanted.words)
    out = []
    for i in range(len(words) - n + 1):
        if words[i] != wanted.words[0] or tuple(words[i : i + n]) != wanted.words:
            continue
        gaps = tuple(toks[i + k].end < toks[i + k + 1].start for k in range(n - 1))
        if gaps == wanted.gaps:
            out.append(i)
    return out


def _resolve(candidates: Iterable[tuple[int, int]], toks: Sequence[Token]) -> list[tuple[int, int]]:
    """Token ranges → character offsets, earliest then longest, no overlaps."""
    out: list[tuple[int, int]] = []
    last = -1
    for i, j in sorted(candidates, key=lambda c: (c[0], -c[1])):
        if i >= last and j > i:
            out.append((toks[i].start, toks[j - 1].end))
            last = j
    return out


# -- token patterns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSpec:
    tests: tuple[TokenTest, ...]
    low: int
    high: int | None
    negate: bool = False

    def accepts(self, word: str) -> bool:
        ok = all(test(word) for test in self.tests)
        return not ok if self.negate else ok


def _value_test(key: str, value: Any) -> TokenTest:
    get: Callable[[str], Any] = str.casefold if key == "lower" else str
    if key == "length":
        get = len
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)).lower() not in ("in", "not_in"):
            raise ValidationError(
                f'{key}: only {{"IN": [...]}} and {{"NOT_IN": [...]}} value dicts are supported',
                field="pattern",
            )
        ((op, items),) = value.items()
        if not isinstance(items, list):
            raise ValidationError(f"{key}: {op} needs a list", field="pattern")
        wanted = {i.casefold() if key == "lower" and isinstance(i, str) else i for i in items}
        if op.lower() == "in":
            return lambda w: get(w) in wanted
        return lambda w: get(w) not in wanted
    if key == "length":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError("length needs a whole number", field="pattern")
        return lambda w: len(w) == value
    if not isinstance(value, str):
        raise ValidationError(f"{key} needs a text, not {value!r}", field="pattern")
    target = value.casefold() if key == "lower" else value
    return lambda w: get(w) == target


def _flag_test(flag: TokenTest, wanted: bool) -> TokenTest:
    return flag if wanted else (lambda w: not flag(w))


def compile_token_pattern(pattern: Sequence[Any]) -> tuple[TokenSpec, ...]:
    """Check and compile a spaCy token pattern (ValidationError names what is unsupported)."""
    if not isinstance(pattern, list) or not pattern:
        raise ValidationError("a token pattern is a non-empty list of token dicts", field="pattern")
    specs = []
    for tok in pattern:
        if not isinstance(tok, dict):
            raise ValidationError(
                f"a token pattern entry must be a dict, not {tok!r}", field="pattern"
            )
        tests: list[TokenTest] = []
        op = "1"
        for raw_key, value in tok.items():
            key = str(raw_key).lower()
            if key == "op":
                if value not in _OPS:
                    raise ValidationError(
                        f"unsupported op {value!r}; use ?, +, * or !", field="pattern"
                    )
                op = value
            elif key in ("orth", "text", "lower", "length"):
                tests.append(_value_test("text" if key == "orth" else key, value))
            elif key in _FLAGS:
                tests.append(_flag_test(_FLAGS[key], bool(value)))
            else:
                raise ValidationError(
                    f"unsupported token key {raw_key!r}; supported: ORTH, "
                    "TEXT, LOWER, LENGTH, IS_* flags, OP",
                    field="pattern",
                )
        low, high = _OPS[op]
        specs.append(TokenSpec(tuple(tests), low, high, negate=op == "!"))
    if all(s.low == 0 for s in specs):
        raise ValidationError("a token pattern must require at least one token", field="pattern")
    return tuple(specs)


def _ends(specs: Sequence[TokenSpec], words: Sequence[str], i: int, k: int = 0) -> set[int]:
    """Every token index where ``specs[k:]`` can end when it starts at token ``i``."""
    if k == len(specs):
        return {i}
    spec = specs[k]
    out: set[int] = set()
    if spec.low == 0:
        out |= _ends(specs, words, i, k + 1)
    j = i
    count = 0
    while j < len(words) and (spec.high is None or count < spec.high) and spec.accepts(words[j]):
        j += 1
        count += 1
        if count >= spec.low:
            out |= _ends(specs, words, j, k + 1)
    return out


def token_pattern_matches(
    text: str, pattern: Sequence[Any], *, tokenized: bool = False
) -> list[tuple[int, int]]:
    """Non-overlapping ``[start, end)`` offsets where the token pattern matches."""
    specs = compile_token_pattern(pattern)
    toks = tokens_of(text, tokenized)
    words = [text[t.start : t.end] for t in toks]
    return _resolve(_token_candidates(specs, words), toks)


def _token_candidates(specs: Sequence[TokenSpec], words: Sequence[str]) -> list[tuple[int, int]]:
    out = []
    for i in range(len(words)):
        ends = [e for e in _ends(specs, words, i) if e > i]
        if ends:
            out.append((i, max(ends)))
    return out


# -- a set of labelled patterns ------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledPattern:
    """A stored pattern: a phrase (str) or a token pattern (list of dicts) for one label."""

    label: str
    pattern: str | list[dict[str, Any]]
    id: int | None = None


class PatternSet:
    """Match many patterns at once; phrases are indexed by their first token."""

    def __init__(self, patterns: Iterable[LabelledPattern]) -> None:
        self._phrases: dict[str, list[tuple[Phrase, str]]] = {}
        self._tokens: list[tuple[tuple[TokenSpec, ...], str]] = []
        for p in patterns:
            if isinstance(p.pattern, str):
                phrase = Phrase.parse(p.pattern)
                self._phrases.setdefault(phrase.words[0], []).append((phrase, p.label))
            else:
                self._tokens.append((compile_token_pattern(p.pattern), p.label))

    def __bool__(self) -> bool:
        return bool(self._phrases or self._tokens)

    def matches(self, text: str, tokenized: bool = False) -> list[tuple[int, int, str]]:
        """Flat ``(start, end, label)`` matches in ``text`` (earliest, then longest, wins)."""
        toks = tokens_of(text, tokenized)
        words = [text[t.start : t.end] for t in toks]
        found: list[tuple[int, int, str]] = []
        for i, word in enumerate(words):
            for phrase, label in self._phrases.get(word, ()):
                if _phrase_starts(
                    toks[i : i + len(phrase.words)], words[i : i + len(phrase.words)], phrase
                ) == [0]:
                    found.append((i, i + len(phrase.words), label))
        for specs, label in self._tokens:
            found.extend((i, j, label) for i, j in _token_candidates(specs, words))
        out: list[tuple[int, int, str]] = []
        last = -1
        for i, j, label in sorted(found, key=lambda c: (c[0], -c[1])):
            if i >= last:
                out.append((toks[i].start, toks[j - 1].end, label))
                last = j
        return out


def read_pattern_file(path: str | Path, label: str | None = None) -> list[LabelledPattern]:
    """Patterns from spaCy/Prodigy JSONL (``{"label", "pattern"}``) or, with ``label``, a term
    list (one term a line; blank lines and ``#`` comments skipped).

    Raises FormatError naming the file and line of the first bad entry; nothing is returned
    half-read.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text ({exc.reason})", path=p) from exc
    out: list[LabelledPattern] = []
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or (label is not None and stripped.startswith("#")):
            continue
        try:
            out.append(_term(stripped, label) if label is not None else _json_pattern(stripped))
        except ValidationError as exc:
            raise FormatError(str(exc), path=p, line=n) from exc
    if not out:
        raise FormatError("no patterns in the file", path=p)
    return out


def _term(term: str, label: str) -> LabelledPattern:
    Phrase.parse(term)
    return LabelledPattern(label, term)


def _json_pattern(line: str) -> LabelledPattern:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not JSON: {exc.msg}", field="pattern") from exc
    if not isinstance(row, dict) or "label" not in row or "pattern" not in row:
        raise ValidationError('a pattern line needs "label" and "pattern"', field="pattern")
    label, pattern = row["label"], row["pattern"]
    if not isinstance(label, str) or not label.strip():
        raise ValidationError('"label" must be a non-empty text', field="label")
    if isinstance(pattern, str):
        Phrase.parse(pattern)
    else:
        compile_token_pattern(pattern)
    return LabelledPattern(label.strip(), pattern)
