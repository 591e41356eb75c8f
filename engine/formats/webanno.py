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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.errors import FormatError
from engine.types import DocumentData, SpanData

from .atomic import atomic_text_writer
from .flat import keep_outer
from .registry import READERS, ReadContext, register_reader, register_writer
from .source import check_regular, read_text

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
            if (
                layer == NE_LAYER
                and kind == "SP"
                and (
                    feat == "value"
                    or (value_col is None and k == len(features) - 1 and "value" not in features)
                )
            ):
                value_col = col + k
            elif layer != NE_LAYER:
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
            raise ctx.error(
                f"expected SENTENCE-TOKEN<TAB>BEGIN-END<TAB>TOKEN, got {line[:40]!r}", n
            )
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


def _entities(
    cells: list[tuple[int, int, int, str]], ctx: ReadContext
) -> list[tuple[int | None, SpanData]]:
    """Entities from the ``(line, start, end, value cell)`` of the tokens in order: ``L[k]``
    cells with one id make one entity, a cell without an id a one-token entity."""
    multi: dict[int, tuple[int, int, int, str]] = {}
    singles: list[tuple[int | None, SpanData]] = []
    for n, b, e, cell in cells:
        for item in _SPLIT_RE.split(cell):
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
    return singles


@register_reader(
    "webanno",
    extensions=(".tsv",),
    sniff=_sniff,
    description="WebAnno / INCEpTION TSV 3.x (named-entity layer)",
)
def read_webanno(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Read one WebAnno TSV 3.x document (its named-entity layer)."""
    lines = text.split("\n")
    if lines[0].endswith("\r"):  # a file saved with CRLF line ends
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if not lines[0].startswith("#FORMAT=WebAnno TSV 3"):
        raise ctx.error("not WebAnno TSV 3.x: the first line must be #FORMAT=WebAnno TSV 3.x", 1)
    value_col, others = _columns(lines, ctx)
    if value_col is None:
        ctx.say(
            f"no named-entity layer ({NE_LAYER}) in the header; the text was imported unlabelled"
        )
    sentences = _sentences(lines, ctx)
    if not sentences:
        raise ctx.error("no sentences (#Text= lines) in the file")
    pieces: list[str] = []
    starts16: list[int] = []
    pos16 = 0
    for s in sentences:
        begin = s.tokens[0][1] if s.tokens else pos16 + (1 if pieces else 0)
        if begin < pos16:
            raise ctx.error(f"sentence starts at offset {begin}, inside the previous one", s.line)
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

    segments = [
        (at(b, s.line), at(b + _u16len(s.text), s.line))
        for s, b in zip(sentences, starts16, strict=True)
    ]
    cells: list[tuple[int, int, int, str]] = []
    not_kept: dict[str, int] = {}
    for s in sentences:
        for n, b16, e16, token, cols in s.tokens:
            b, e = at(b16, n), at(e16, n)
            if doc_text[b:e] != token:
                raise ctx.error(
                    f"token {token!r} at {b16}-{e16} does not match the #Text ({doc_text[b:e]!r})",
                    n,
                )
            for c, layer in others.items():
                if c < len(cols) and cols[c] not in ("_", "", "*"):
                    not_kept[layer] = not_kept.get(layer, 0) + 1
            if value_col is None or value_col >= len(cols) or cols[value_col] == "_":
                continue
            cells.append((n, b, e, cols[value_col]))
    for layer, count in not_kept.items():
        ctx.note(f"annotations of the {layer} layer not kept", count)
    spans = keep_outer(_entities(cells, ctx), ctx)
    return [
        DocumentData(
            text=doc_text, spans=spans, segments=segments, line=1, labelled=value_col is not None
        )
    ]


# ---- folders and writing -------------------------------------------------------------------


def _is_webanno(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(32).lstrip(b"\xef\xbb\xbf").startswith(b"#FORMAT=WebAnno TSV 3")
    except OSError:
        return False


def _claims(path: Path) -> bool:
    return path.is_dir() and any(_is_webanno(p) for p in sorted(path.rglob("*.tsv"))[:20])


def _read_path(path: Path, ctx: ReadContext) -> Iterator[DocumentData]:
    """One file, or every WebAnno ``.tsv`` in a folder (name order; ``webanno_file`` metadata)."""
    files = (
        [path] if not path.is_dir() else [p for p in sorted(path.rglob("*.tsv")) if _is_webanno(p)]
    )
    for file in files:
        check_regular(file)
        sub = ReadContext(
            path=file,
            strict=ctx.strict,
            options=ctx.options,
            notes=ctx.notes,
            messages=ctx.messages,
        )
        text = read_text(file, ctx.options.get("max_bytes"))
        for doc in read_webanno(text, sub):
            if path.is_dir():
                doc.metadata[META_KEY] = file.relative_to(path).with_suffix("").as_posix()
            yield doc


READERS["webanno"] = replace(READERS["webanno"], read_path=_read_path, claims=_claims)
META_KEY = "webanno_file"
_RESERVED_RE = re.compile(r"(\\|\[|\]|\||_|->|;|\t|\*)")


def _escape(text: str) -> str:
    return _RESERVED_RE.sub(r"\\\1", text)


def _sentence_tokens(doc: DocumentData) -> list[list[tuple[int, int]]]:
    from engine.text import whitespace_tokens, word_tokens

    from .conll import _merged_segments, _split_at_cuts

    spans = sorted(doc.spans, key=lambda s: (s.start, s.end))
    cuts = sorted({s.start for s in spans} | {s.end for s in spans})
    tokenize = whitespace_tokens if doc.tokenized else word_tokens
    out = []
    for a, b in _merged_segments(doc, spans):
        tokens = _split_at_cuts(tokenize(doc.text, a, b), [c for c in cuts if a < c < b])
        if tokens:
            out.append([(t[0], t[1]) for t in tokens])
    return out


def _document_tsv(doc: DocumentData) -> str:
    from engine.text.bio import offsets_to_bio

    text = doc.text
    u16 = [0]
    for ch in text:
        u16.append(u16[-1] + (2 if ord(ch) > 0xFFFF else 1))
    lines = ["#FORMAT=WebAnno TSV 3.3", f"#T_SP={NE_LAYER}|identifier|value", "", ""]
    next_id = 1
    for k, tokens in enumerate(_sentence_tokens(doc), 1):
        start, end = tokens[0][0], tokens[-1][1]
        lines += ["#Text=" + _escape(part) for part in text[start:end].split("\n")]
        # a span that starts in the whitespace before a sentence still belongs to it (its end
        # already cut the tokens); spans never cross segments (_merged_segments)
        tags = offsets_to_bio(tokens, [s for s in doc.spans if s.start < end and s.end > start])
        ids: list[int | None] = []
        for i, tag in enumerate(tags):
            multi = tag != "O" and (
                (tag[0] == "B" and i + 1 < len(tags) and tags[i + 1][0] == "I") or tag[0] == "I"
            )
            if tag[0] == "B" and multi:
                next_id += 1
            ids.append(next_id - 1 if multi else None)
        for i, ((a, b), tag, ident) in enumerate(zip(tokens, tags, ids, strict=True), 1):
            if tag == "O":
                cells = "_\t_"
            elif ident is None:
                cells = f"*\t{_escape(tag[2:])}"
            else:
                cells = f"*[{ident}]\t{_escape(tag[2:])}[{ident}]"
            lines.append(f"{k}-{i}\t{u16[a]}-{u16[b]}\t{_escape(text[a:b])}\t{cells}")
        lines.append("")
    return "\n".join(lines) + "\n"


@register_writer(
    "webanno",
    extension="",
    stdout=False,
    description="WebAnno / INCEpTION TSV 3.3 folder (one .tsv per document)",
)
def write_webanno(docs: Iterable[DocumentData], path: Path, labels: Sequence[str]) -> int:
    """Write ``path/NAME.tsv`` per document (named-entity layer); returns the documents."""
    from .brat import safe_names

    all_docs = list(docs)
    if path.exists() and not path.is_dir():
        raise FormatError(
            "WebAnno export writes a folder (one .tsv per document); this path is a file"
        )
    path.mkdir(parents=True, exist_ok=True)
    for doc, name in zip(all_docs, safe_names(all_docs, META_KEY), strict=True):
        target = path / (name + ".tsv")
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_text_writer(target) as out:
            out.write(_document_tsv(doc))
    return len(all_docs)
