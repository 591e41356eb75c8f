"""CoNLL / BIO token-per-line files.

Reading: columns separated by spaces or tabs, the token first and the tag last (middle columns,
such as POS and chunk tags, are ignored); blank lines end sentences; ``-DOCSTART-`` lines start
a new document (a file without them is one document). A document's text is its sentences'
tokens joined by " ", sentences joined by "\\n"; each sentence is a segment. Tag schemes are
detected per file (see :mod:`engine.text.bio`).

Writing (IOB2): one sentence per segment (the document's own, else
:func:`engine.text.segment_text`), tokens from :func:`engine.text.whitespace_tokens` for
tokenized documents and :func:`engine.text.word_tokens` otherwise, split at span boundaries so
that every span maps onto whole tokens; ``-DOCSTART- -X- -X- O`` precedes each document when
there are several.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import regex

from engine.errors import FormatError
from engine.text import segment_text, whitespace_tokens, word_tokens
from engine.text.bio import TagDecoder, bio_spans, looks_like_tag, offsets_to_bio, parse_tag
from engine.text.tokens import Token, split_tokens_at
from engine.types import DocumentData, SpanData

from .atomic import atomic_text_writer
from .registry import ReadContext, register_reader, register_writer

log = logging.getLogger(__name__)

DOCSTART = "-DOCSTART-"
DOCSTART_LINE = "-DOCSTART- -X- -X- O"
_BOM = "\ufeff"
# Whitespace other than space, tab and newline: str.split() and regex's \s disagree on some of
# it, so lines holding any are split on spaces and tabs only and tokens are checked.
_ODD_SPACE_RE = re.compile(
    "[\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
# What whitespace_tokens splits on (Unicode White_Space: not U+001C..U+001F, unlike str.split).
_UNICODE_SPACE_RE = regex.compile(r"\s")
_COLUMNS_RE = re.compile("[ \t]+")

Sentence = tuple[int, list[str], list[str]]  # (first line, tokens, tags)
_HEAD_CHARS = 64 * 1024


def _sniff(head: str) -> float:
    lines = [ln for ln in head.split("\n")[:200] if ln.strip()]
    if len(lines) > 1:
        lines = lines[:-1]  # the head may cut the last line short
    tagged = docstarts = 0
    for ln in lines:
        parts = ln.split()
        if parts[0] == DOCSTART:
            docstarts += 1
        elif len(parts) >= 2 and looks_like_tag(parts[-1]):
            tagged += 1
    if tagged and (tagged + docstarts) >= 0.8 * len(lines):
        return 0.8
    return 0.0


def _columns(line: str, lineno: int, ctx: ReadContext) -> list[str]:
    """Columns of a line holding unusual whitespace (the slow path)."""
    parts = [p for p in _COLUMNS_RE.split(line.rstrip("\r")) if p]
    for part in parts[:1] + parts[-1:]:
        m = _UNICODE_SPACE_RE.search(part)
        if m:
            raise ctx.error(
                f"{part!r} contains the whitespace character U+{ord(m.group()):04X}; columns "
                "are separated by spaces or tabs and tokens cannot contain other whitespace",
                lineno,
            )
    return parts


def _layout(body: str) -> tuple[bool, bool]:
    """``(indexed, nested)``: rows start with a word number that restarts at 1 in each
    sentence (GermEval 2014: ``N TOKEN OUTER INNER``), and two tag columns hold nested
    entities."""
    rows = [ln.split() for ln in body[:_HEAD_CHARS].split("\n")[:400]]
    rows = [r for r in rows[:-1] if not r or r[0] != "#"]
    words = [r for r in rows if r]
    if not words or not all(len(r) >= 3 and r[0].isdigit() for r in words):
        return False, False
    starts = [r for prev, r in zip([[]] + rows, rows, strict=False) if r and not prev]
    if not starts or any(r[0] != "1" for r in starts):
        return False, False
    nested = all(len(r) == 4 and looks_like_tag(r[2]) and looks_like_tag(r[3]) for r in words)
    return True, nested


def _parse_lines(text: str, ctx: ReadContext) -> list[tuple[int, list[Sentence]]]:
    """Documents as ``(line, sentences)``; empty documents are left out.

    Indexed files (GermEval) take the token from the second column and skip ``#`` comment
    lines; of nested tag columns the outer (first) is read and the inner entities counted.
    """
    body = text.replace("\r\n", "\n") if "\r" in text else text
    careful = _ODD_SPACE_RE.search(body) is not None
    indexed, nested = _layout(body)
    if indexed:
        return _parse_indexed(body, nested, ctx)
    docs: list[tuple[int, list[Sentence]]] = []
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    doc_line: int | None = None
    first = 1
    for n, line in enumerate(body.split("\n"), 1):
        parts = _columns(line, n, ctx) if careful and _ODD_SPACE_RE.search(line) else line.split()
        if not parts or parts[0] == DOCSTART:
            if tokens:
                sentences.append((first, tokens, tags))
                tokens, tags = [], []
            if parts and sentences:
                docs.append((doc_line or sentences[0][0], sentences))
                sentences = []
            if parts:
                doc_line = n
            continue
        if len(parts) < 2:
            raise ctx.error(
                f"expected a token and a tag separated by a space or tab, got {line.strip()!r}", n
            )
        if not tokens:
            first = n
        tokens.append(parts[0])
        tags.append(parts[-1])
    if tokens:
        sentences.append((first, tokens, tags))
    if sentences:
        docs.append((doc_line or sentences[0][0], sentences))
    return docs


def _parse_indexed(body: str, nested: bool, ctx: ReadContext) -> list[tuple[int, list[Sentence]]]:
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    inner: list[str] = []
    inner_entities = 0
    first = 1
    for n, line in enumerate(body.split("\n"), 1):
        parts = line.split("\t") if "\t" in line else line.split()
        parts = [p.strip() for p in parts if p.strip()]
        if parts and parts[0].startswith("#") and not tokens:
            continue
        if not parts:
            if tokens:
                sentences.append((first, tokens, tags))
                inner_entities += _count_entities(inner)
                tokens, tags, inner = [], [], []
            continue
        if len(parts) < 3 or not parts[0].isdigit():
            raise ctx.error(
                "expected WORD-NUMBER TOKEN TAG (this file numbers its words), got "
                f"{line.strip()!r}",
                n,
            )
        if not tokens:
            first = n
        tokens.append(parts[1])
        tags.append(parts[2] if nested else parts[-1])
        if nested:
            inner.append(parts[3] if len(parts) > 3 else "O")
    if tokens:
        sentences.append((first, tokens, tags))
        inner_entities += _count_entities(inner)
    if nested:
        ctx.note(
            "inner (nested) entities from the last tag column not kept; the outer column was read",
            inner_entities,
        )
    return [(sentences[0][0], sentences)] if sentences else []


def _count_entities(tags: list[str]) -> int:
    if any(t[:2] in ("E-", "S-", "L-", "U-") for t in tags):
        return sum(1 for t in tags if t[:2] in ("B-", "S-", "U-"))
    try:
        return len(bio_spans(tags))
    except ValueError:
        return sum(1 for t in tags if t[:2] == "B-")


def _parsed_tags(
    docs: list[tuple[int, list[Sentence]]], ctx: ReadContext
) -> dict[str, tuple[str, str]]:
    distinct: set[str] = set()
    for _, sentences in docs:
        for _, _, tags in sentences:
            distinct.update(tags)
    parsed = {}
    for tag in distinct:
        try:
            parsed[tag] = parse_tag(tag)
        except ValueError:
            raise ctx.error(
                f"unknown tag scheme: tag {tag!r} is not O or B-/I-/E-/S-/L-/U- followed by a type",
                _line_of_tag(docs, tag),
            ) from None
    return parsed


def _line_of_tag(docs: list[tuple[int, list[Sentence]]], tag: str) -> int | None:
    for _, sentences in docs:
        for first, _, tags in sentences:
            if tag in tags:
                return first + tags.index(tag)
    return None


def _document(line: int, sentences: list[Sentence], decoder: TagDecoder) -> DocumentData:
    pieces: list[str] = []
    segments: list[tuple[int, int]] = []
    spans: list[SpanData] = []
    pos = 0
    for first, tokens, tags in sentences:
        entities = decoder.decode(tags, first)
        if entities:
            starts = []
            p = pos
            for tok in tokens:
                starts.append(p)
                p += len(tok) + 1
            for i, j, typ in entities:
                spans.append(SpanData(starts[i], starts[j - 1] + len(tokens[j - 1]), typ))
        piece = " ".join(tokens)
        pieces.append(piece)
        segments.append((pos, pos + len(piece)))
        pos += len(piece) + 1
    return DocumentData(
        text="\n".join(pieces),
        spans=spans,
        segments=segments,
        line=line,
        tokenized=True,
        labelled=True,
    )


@register_reader(
    "conll",
    extensions=(".conll", ".conll03", ".bio", ".iob", ".iob2", ".bioes", ".txt", ".tsv"),
    sniff=_sniff,
    description="CoNLL / BIO tokens and tags (IOB1, IOB2, BIOES)",
)
def read_conll(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Read a CoNLL/BIO file: one document per ``-DOCSTART-`` (or the whole file).

    A CoNLL-U file (ten columns) is read by the ``conllu`` reader.
    """
    from .conllu import _sniff as sniff_conllu
    from .conllu import read_conllu

    if sniff_conllu(text[:_HEAD_CHARS]) > 0:
        return list(read_conllu(text, ctx))
    docs = _parse_lines(text, ctx)
    if not docs:
        raise ctx.error("no sentences in the file")
    decoder = TagDecoder(_parsed_tags(docs, ctx), ctx)
    out = [_document(line, sentences, decoder) for line, sentences in docs]
    decoder.finish()
    return out


# ---- writing ------------------------------------------------------------------------------------


def _merged_segments(doc: DocumentData, spans: Sequence[SpanData]) -> list[tuple[int, int]]:
    """The document's segments, merged where a span crosses from one into the next."""
    segments = doc.segments if doc.segments is not None else segment_text(doc.text)
    merged: list[tuple[int, int]] = []
    k = 0
    for start, end in sorted(segments):
        if merged:
            prev_start, prev_end = merged[-1]
            while k < len(spans) and spans[k].end <= prev_end:
                k += 1
            if k < len(spans) and spans[k].start < prev_end and spans[k].end > start:
                merged[-1] = (prev_start, max(prev_end, end))
                continue
        merged.append((start, end))
    return merged


def _split_at_cuts(tokens: list[Token], cuts: list[int]) -> list[Token]:
    """``split_tokens_at`` for the few tokens that a (sorted) cut falls inside."""
    if not cuts:
        return tokens
    out: list[Token] = []
    k = 0
    for tok in tokens:
        while k < len(cuts) and cuts[k] <= tok.start:
            k += 1
        if k < len(cuts) and cuts[k] < tok.end:
            out.extend(split_tokens_at([tok], set(cuts[k : bisect_left(cuts, tok.end)])))
        else:
            out.append(tok)
    return out


def document_sentences(doc: DocumentData) -> list[tuple[list[str], list[str]]]:
    """``(tokens, IOB2 tags)`` of each sentence of ``doc``, as the CoNLL writer writes them."""
    text = doc.text
    spans = sorted(doc.spans, key=lambda s: (s.start, s.end))
    cuts = sorted({s.start for s in spans} | {s.end for s in spans})
    starts = [s.start for s in spans]
    tokenize: Callable[[str, int, int], list[Token]] = (
        whitespace_tokens if doc.tokenized else word_tokens
    )
    out = []
    begun = 0
    for seg_start, seg_end in _merged_segments(doc, spans):
        tokens = _split_at_cuts(
            tokenize(text, seg_start, seg_end),
            cuts[bisect_left(cuts, seg_start + 1) : bisect_left(cuts, seg_end)],
        )
        if not tokens:
            continue
        lo = bisect_left(starts, seg_start)
        while lo > 0 and spans[lo - 1].end > seg_start:
            lo -= 1
        hi = bisect_left(starts, seg_end)
        tags = offsets_to_bio(tokens, spans[lo:hi])
        begun += sum(1 for t in tags if t[0] == "B")
        out.append(([text[a:b] for a, b in tokens], tags))
    if begun < len(spans):
        log.warning(
            "document at line %s: %d span(s) cover no token (only whitespace or "
            "outside every segment) and were not written",
            doc.line,
            len(spans) - begun,
        )
    return out


def _check_labels(doc: DocumentData) -> None:
    for span in doc.spans:
        if _UNICODE_SPACE_RE.search(span.label):
            raise FormatError(
                f"label {span.label!r} contains whitespace, which a CoNLL tag "
                "cannot hold; rename the label to export CoNLL"
            )


@register_writer("conll", extension=".conll", description="CoNLL, IOB2 tags (TOKEN TAG)")
def write_conll(docs: Iterable[DocumentData], path: Path, labels: Sequence[str]) -> int:
    """Write IOB2 ``TOKEN TAG`` lines; returns the number of documents written."""
    all_docs = list(docs)
    many = len(all_docs) > 1
    count = 0
    with atomic_text_writer(path) as out:
        for doc in all_docs:
            _check_labels(doc)
            sentences = document_sentences(doc)
            if not sentences:
                log.warning("document at line %s has no tokens; not written", doc.line)
                continue
            body = "".join(
                "".join(f"{tok} {tag}\n" for tok, tag in zip(tokens, tags, strict=True)) + "\n"
                for tokens, tags in sentences
            )
            if many:
                out.write(DOCSTART_LINE + "\n\n")
            elif count == 0 and body.startswith(_BOM):
                out.write("\n")  # else a first token starting with U+FEFF reads as the file's BOM
            out.write(body)
            count += 1
    return count
