"""Split a document into segments: sentences, lines, or the whole document.

Segments are ``(start, end)`` code-point offsets on the document with surrounding whitespace
trimmed; empty ones are dropped, and a piece without a word character (a trailing "😀", a "---"
line) joins its neighbour rather than becoming a segment of its own. Nothing is truncated
here: long segments are windowed later.
"""

from __future__ import annotations

import regex

from engine.errors import ValidationError

_LINE_BREAK_RE = regex.compile(r"\r\n|[\n\r\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]")
_PARAGRAPH_RE = regex.compile(r"(?:[ \t]*(?:\r\n|[\n\r\u2028\u2029\x85])){2,}")
# A sentence ends at . ! ? … (and CJK 。！？) with closing quotes/brackets, before whitespace.
_END_RE = regex.compile(
    r"""(?:[.!?…]+|[。！？]+)["'”’»)\]]*(?=\s|$)|[。！？]+["'”’»)\]]*""", regex.VERBOSE
)
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep rev hon
    inc ltd co corp bros dept univ assn est no nos vol vols fig figs pp ed eds approx
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    vs etc al e.g i.e cf ca viz ave blvd rd""".split()  # noqa: SIM905
)
_WORD_BEFORE_RE = regex.compile(r"([\p{L}.]+)\.$")
_WORD_CHAR_RE = regex.compile(r"[\p{L}\p{N}]")


def segment_text(text: str, mode: str = "sentences") -> list[tuple[int, int]]:
    """Cut ``text`` into segments according to ``mode`` (sentences, lines or document)."""
    if mode == "document":
        return _trimmed(text, [(0, len(text))])
    if mode == "lines":
        return _trimmed(text, _lines(text))
    if mode == "sentences":
        out: list[tuple[int, int]] = []
        for p_start, p_end in _paragraphs(text):
            for l_start, l_end in _line_groups(text, p_start, p_end):
                out.extend(_sentences(text, l_start, l_end))
        return _trimmed(text, out)
    raise ValidationError(
        f"unknown segmentation mode {mode!r}; use sentences, lines or document", field="segment"
    )


def _trimmed(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for start, end in pieces:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            out.append((start, end))
    return _join_wordless(text, out)


def _join_wordless(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join each piece without a letter or digit to the piece before it (the first: after)."""
    out: list[tuple[int, int]] = []
    pending: int | None = None  # start of wordless pieces before the first real segment
    for start, end in pieces:
        if _WORD_CHAR_RE.search(text, start, end) is not None:
            out.append((pending if pending is not None else start, end))
            pending = None
        elif out:
            out[-1] = (out[-1][0], end)
        elif pending is None:
            pending = start
    if pending is not None:  # nothing in the text has a word character: keep it whole
        out.append((pending, pieces[-1][1]))
    return out


def _pieces_between(text: str, separator: regex.Pattern[str]) -> list[tuple[int, int]]:
    """The ``(start, end)`` ranges of ``text`` between matches of ``separator``."""
    out, pos = [], 0
    for m in separator.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


def _lines(text: str) -> list[tuple[int, int]]:
    return _pieces_between(text, _LINE_BREAK_RE)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    return _pieces_between(text, _PARAGRAPH_RE)


def _line_groups(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Join wrapped prose lines; break where the next line does not continue the sentence.

    A line break continues the sentence when the next line starts in lower case (wrapped
    prose); otherwise (headings, list items, one-sentence-per-line files) it is a boundary.
    """
    lines = [(s, e) for s, e in _lines(text[:end]) if s >= start] if start < end else []
    if not lines:
        return []
    groups: list[tuple[int, int]] = []
    g_start, g_end = lines[0]
    for s, e in lines[1:]:
        nxt = text[s:e].lstrip()
        if nxt and nxt[0].islower() and text[g_start:g_end].strip():
            g_end = e
        else:
            groups.append((g_start, g_end))
            g_start, g_end = s, e
    groups.append((g_start, g_end))
    return groups


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = start
    for m in _END_RE.finditer(text, start, end):
        if not _is_boundary(text, m.start(), m.end(), end):
            continue
        out.append((pos, m.end()))
        pos = m.end()
    out.append((pos, end))
    return out


def _is_boundary(text: str, p_start: int, p_end: int, limit: int) -> bool:
    if text[p_start] in "。！？":
        return True
    nxt = p_end
    while nxt < limit and text[nxt].isspace():
        nxt += 1
    if nxt >= limit:
        return True
    following = text[nxt]
    if following.islower() or following in ",;:":
        return False
    if text[p_start] == ".":
        m = _WORD_BEFORE_RE.search(text, max(0, p_start - 20), p_start + 1)
        if m:
            word = m.group(1).lower().rstrip(".")
            if word in _ABBREVIATIONS:
                return False
            # a single initial ("J. Smith") or a dotted abbreviation ("U.S. Army")
            if following.isupper() and ((len(word) == 1 and word.isalpha()) or "." in word):
                return False
    return True
