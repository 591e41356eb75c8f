"""CoNLL-U (Universal Dependencies): ten tab-separated columns per word, ``#`` comments.

A sentence's text is its ``# text =`` comment when the tokens can be found in it in order (only
whitespace between them), else the tokens joined with a space unless MISC says
``SpaceAfter=No``. Multiword tokens (``1-2 du``) are one surface token; empty nodes (``8.1``)
are skipped. Entities come from a BIO tag in the MISC column, key ``NER=`` or ``NE=``
(UD-derived NER corpora use these); any tag scheme that CoNLL files may use is read. A file
without any such key is imported as unlabelled text and the importer says so.
``# newdoc`` starts a new document; sentences are joined by ``\\n`` and are its segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.text.bio import TagDecoder, parse_tag
from engine.types import DocumentData, SpanData

from .registry import ReadContext, register_reader

_KEYS = ("NER", "NE")


@dataclass
class _Sentence:
    line: int
    text: str | None = None
    forms: list[str] = field(default_factory=list)
    space_after: list[bool] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def _sniff(head: str) -> float:
    rows = [ln for ln in head.split("\n")[:200] if ln.strip() and not ln.startswith("#")][:-1]
    if not rows:
        return 0.0
    good = sum(1 for ln in rows if ln.count("\t") == 9 and ln.split("\t", 1)[0][:1].isdigit())
    return 0.95 if good >= 0.9 * len(rows) else 0.0


def _misc(value: str) -> dict[str, str]:
    if value in ("_", ""):
        return {}
    out: dict[str, str] = {}
    for item in value.split("|"):
        key, _, val = item.partition("=")
        out[key] = val
    return out


def _entity_tag(misc: dict[str, str]) -> str | None:
    for key in _KEYS:
        if key in misc:
            return misc[key]
    return None


def _parse(text: str, ctx: ReadContext) -> tuple[list[list[_Sentence]], bool]:
    docs: list[list[_Sentence]] = [[]]
    sent: _Sentence | None = None
    tagged = False
    mwt_end = 0
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            if sent is not None and sent.forms:
                docs[-1].append(sent)
            sent, mwt_end = None, 0
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            if body.startswith("newdoc") and (sent is None or not sent.forms):
                if docs[-1]:
                    docs.append([])
            elif body.startswith("text =") or body.startswith("text="):
                sent = sent or _Sentence(n)
                sent.text = body.split("=", 1)[1].strip()
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise ctx.error(
                f"a CoNLL-U word line has 10 tab-separated columns, this one has {len(cols)}", n
            )
        sent = sent or _Sentence(n)
        wid, form, misc = cols[0], cols[1], _misc(cols[9])
        tag = _entity_tag(misc)
        tagged = tagged or tag is not None
        if "." in wid:
            continue  # an empty node has no surface form
        if "-" in wid:
            first, last = wid.split("-", 1)
            if not (first.isdigit() and last.isdigit()):
                raise ctx.error(f"bad multiword token id {wid!r}", n)
            mwt_end = int(last)
            sent.forms.append(form)
            sent.space_after.append(misc.get("SpaceAfter") != "No")
            sent.tags.append(tag or "")
            sent.lines.append(n)
            continue
        if not wid.isdigit():
            raise ctx.error(f"bad word id {wid!r}", n)
        if int(wid) <= mwt_end:  # a word inside a multiword token: its tag goes to the token
            if sent.tags and not sent.tags[-1] and tag:
                sent.tags[-1] = tag
            continue
        sent.forms.append(form)
        sent.space_after.append(misc.get("SpaceAfter") != "No")
        sent.tags.append(tag or "")
        sent.lines.append(n)
    if sent is not None and sent.forms:
        docs[-1].append(sent)
    return [d for d in docs if d], tagged


def _offsets(sent: _Sentence) -> tuple[str, list[int], bool]:
    """The sentence text, each surface token's start, and whether ``# text`` was used."""
    if sent.text is not None:
        starts, pos = [], 0
        for form in sent.forms:
            while pos < len(sent.text) and sent.text[pos].isspace():
                pos += 1
            if not sent.text.startswith(form, pos):
                break
            starts.append(pos)
            pos += len(form)
        else:
            if not sent.text[pos:].strip():
                return sent.text, starts, True
    pieces, starts, pos = [], [], 0
    for form, space in zip(sent.forms, sent.space_after, strict=True):
        starts.append(pos)
        pieces.append(form + (" " if space else ""))
        pos += len(pieces[-1])
    return "".join(pieces).rstrip(" "), starts, False


@register_reader(
    "conllu",
    extensions=(".conllu", ".conll", ".txt", ".tsv"),
    sniff=_sniff,
    description="CoNLL-U (Universal Dependencies; entities from MISC NER=/NE=)",
)
def read_conllu(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Read a CoNLL-U file: one document per ``# newdoc`` (or the whole file)."""
    docs, tagged = _parse(text, ctx)
    if not docs:
        raise ctx.error("no sentences in the file")
    if not tagged:
        ctx.say(
            "no entity annotations (no NER= or NE= key in the MISC column); the text was "
            "imported unlabelled"
        )
    decoder = None
    if tagged:
        parsed = {}
        for sents in docs:
            for s in sents:
                for tag, n in zip(s.tags, s.lines, strict=True):
                    if tag and tag not in parsed:
                        try:
                            parsed[tag] = parse_tag(tag)
                        except ValueError:
                            raise ctx.error(
                                f"MISC entity tag {tag!r} is not O or B-/I-/E-/S- "
                                "followed by a type",
                                n,
                            ) from None
        decoder = TagDecoder(parsed | {"O": ("O", "")}, ctx)
    out = []
    for sents in docs:
        pieces, segments, spans, pos = [], [], [], 0
        for s in sents:
            sent_text, starts, _ = _offsets(s)
            if decoder is not None:
                for i, j, typ in decoder.decode([t or "O" for t in s.tags], s.lines[0]):
                    spans.append(
                        SpanData(pos + starts[i], pos + starts[j - 1] + len(s.forms[j - 1]), typ)
                    )
            pieces.append(sent_text)
            segments.append((pos, pos + len(sent_text)))
            pos += len(sent_text) + 1
        out.append(
            DocumentData(
                text="\n".join(pieces),
                spans=spans,
                segments=segments,
                line=sents[0].line,
                labelled=tagged,
            )
        )
    if decoder is not None:
        decoder.finish()
    return out
