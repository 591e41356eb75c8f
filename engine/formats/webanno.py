"""WebAnno / INCEpTION TSV 3.x: the named-entity layer.

The header declares the layers (``#T_SP=``, ``#T_CH=``, ``#T_RL=``), each taking one column per
feature after the three token columns (``1-3  13-20  token``). The named-entity layer is
``de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity`` and its ``value`` feature gives the
label; ``PER[2]`` on several tokens is one multi-token entity (id 2), ``|`` stacks several
annotations on a token, ``*`` is an annotation without a value, ``_`` none. Offsets count UTF-16
units, as Java does. Sub-tokens (``2-3.1``) are skipped. The document text is the ``#Text=``
sentences at their offsets (a gap between sentences becomes a newline, then spaces); each
sentence is a segment. Other layers, values-less entities and nested entities are counted as
not kept; crossing entities are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.types import DocumentData, SpanData

from .flat import keep_outer
from .registry import ReadContext, register_reader

NE_LAYER = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
_HEADER_RE = re.compile(r"^#T_(SP|CH|RL)=([^|]+)(?:\|(.*))?$")
_ESCAPED_RE = re.compile(r"\\(\\|\[|\]|\||_|->|;|\t|\n|\*)")
_SPLIT_RE = re.compile(r"(?<!\\)\|")
_ID_RE = re.compile(r"^(.*)\[(\d+)\]$")
_TOKEN_ID_RE = re.compile(r"^\d+-\d+$")


def _sniff(head: str) -> float:
    return 0.99 if head.lstrip().startswith("#FORMAT=WebAnno TSV 3") else 0.0


def _unescape(text: str) -> str:
    return _ESCAPED_RE.sub(r"\1", text)


@dataclass
class _Sentence:
    line: int
    text: str
    tokens: list[tuple[int, int, int, str, list[str]]] = field(default_factory=list)


def _columns(lines: list[str], ctx: ReadContext) -> tuple[int | None, dict[int, str]]:
    """The value column of the NE layer and the layer name of every other column."""
    col = 3
    value_col = None
    others: dict[int, str] = {}
    for n, line in enumerate(lines, 1):
        if not line.startswith("#T_"):
            if line.startswith("#Text=") or (line and not line.startswith("#")):
                break
            continue
        m = _HEADER_RE.match(line)
        if not m:
            raise ctx.error(f"bad layer header {line[:60]!r}", n)
        kind, layer, feats = m.groups()
        features = feats.split("|") if feats else []
        if kind == "RL" or kind == "CH":
            features = features or ["_"]
        for k, feat in enumerate(features):
            if layer == NE_LAYER and kind == "SP" and (feat == "value" or (
                    value_col is None and k == len(features) - 1 and "value" not in features)):
                value_col = col + k
            else:
                others[col + k] = layer.rsplit(".", 1)[-1]
        col += len(features)
    return value_col, others


def _sentences(lines: list[str], ctx: ReadContext) -> list[_Sentence]:
    out: list[_Sentence] = []
    texts: list[str] = []
    for n, line in enumerate(lines, 1):
        if line.startswith("#Text="):
            if out and not out[-1].tokens and texts:
                texts.append(_unescape(line[6:]))
                out[-1].text = "\n".join(texts)
            else:
                texts = [_unescape(line[6:])]
                out.append(_Sentence(n, texts[0]))
            continue
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 3 or not _TOKEN_ID_RE.match(cols[0]):
            if "." in cols[0]:
                continue  # a sub-token
            raise ctx.error(f"expected SENTENCE-TOKEN<TAB>BEGIN-END<TAB>TOKEN, got {line[:40]!r}",
                            n)
        if not out:
            raise ctx.error("a token line before any #Text= line", n)
        try:
            begin, end = (int(x) for x in cols[1].split("-"))
        except ValueError:
            raise ctx.error(f"bad offsets {cols[1]!r}", n) from None
        out[-1].tokens.append((n, begin, end, _unescape(cols[2]), cols))
    return out


def _utf16_index(text: str) -> list[int] | None:
    """``cp[i]`` = code point index of UTF-16 offset ``i``; None when they are the same."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return None
    out = []
    for i, ch in enumerate(text):
        out.append(i)
        if ord(ch) > 0xFFFF:
            out.append(i)
    out.append(len(text))
    return out


def _u16len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@register_reader("webanno", extensions=(".tsv",), sniff=_sniff,
                 description="WebAnno / INCEpTION TSV 3.x (named-entity layer)")
def read_webanno(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Read one WebAnno TSV 3.x document (its named-entity layer)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines[0].startswith("#FORMAT=WebAnno TSV 3"):
        raise ctx.error("not WebAnno TSV 3.x: the first line must be #FORMAT=WebAnno TSV 3.x", 1)
    value_col, others = _columns(lines, ctx)
    if value_col is None:
        ctx.say(f"no named-entity layer ({NE_LAYER}) in the header; the text was imported "
                "unlabelled")
    sentences = _sentences(lines, ctx)
    if not sentences:
        raise ctx.error("no sentences (#Text= lines) in the file")
    pieces: list[str] = []
    starts16: list[int] = []
    pos16 = 0
    for s in sentences:
        begin = s.tokens[0][1] if s.tokens else pos16 + (1 if pieces else 0)
        if begin < pos16:
            raise ctx.error(f"sentence starts at offset {begin}, inside the previous one",
                            s.line)
        gap = begin - pos16
        if gap:
            pieces.append(("\n" + " " * (gap - 1)) if pieces else " " * gap)
        starts16.append(begin)
        pieces.append(s.text)
        pos16 = begin + _u16len(s.text)
    doc_text = "".join(pieces)
    cp = _utf16_index(doc_text)

    def at(offset: int, line: int) -> int:
        if cp is None:
            if offset > len(doc_text):
                raise ctx.error(f"offset {offset} is outside the text", line)
            return offset
        if offset >= len(cp):
            raise ctx.error(f"offset {offset} is outside the text", line)
        return cp[offset]

    segments = [(at(b, s.line), at(b + _u16len(s.text), s.line))
                for s, b in zip(sentences, starts16, strict=True)]
    multi: dict[int, tuple[int, int, int, str]] = {}
    singles: list[tuple[int | None, SpanData]] = []
    not_kept: dict[str, int] = {}
    for s in sentences:
        for n, b16, e16, token, cols in s.tokens:
            b, e = at(b16, n), at(e16, n)
            if doc_text[b:e] != token:
                raise ctx.error(f"token {token!r} at {b16}-{e16} does not match the #Text "
                                f"({doc_text[b:e]!r})", n)
            for c, layer in others.items():
                if c < len(cols) and cols[c] not in ("_", "", "*"):
                    not_kept[layer] = not_kept.get(layer, 0) + 1
            if value_col is None or value_col >= len(cols) or cols[value_col] == "_":
                continue
            for item in _SPLIT_RE.split(cols[value_col]):
                m = _ID_RE.match(item)
                label, ident = (m.group(1), int(m.group(2))) if m else (item, None)
                label = _unescape(label) if label not in ("*", "") else ""
                if ident is None:
                    if label:
                        singles.append((n, SpanData(b, e, label)))
                    else:
                        ctx.note("entities without a value not kept")
                elif ident in multi:
                    first, start, _, lab = multi[ident]
                    multi[ident] = (first, start, e, lab or label)
                else:
                    multi[ident] = (n, b, e, label)
    for n, b, e, label in multi.values():
        if label:
            singles.append((n, SpanData(b, e, label)))
        else:
            ctx.note("entities without a value not kept")
    for layer, count in not_kept.items():
        ctx.note(f"annotations of the {layer} layer not kept", count)
    spans = keep_outer(singles, ctx)
    return [DocumentData(text=doc_text, spans=spans, segments=segments, line=1,
                         labelled=value_col is not None)]
