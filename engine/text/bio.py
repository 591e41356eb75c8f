"""BIO tags: the one home of tag parsing, spans → tags encoding and tags → spans decoding.

Modelled on spaCy's ``training/iob_utils.py``. Used by the formats (CoNLL, HF), training (labels
on words) and inference (decoding predicted word tags); numpy-free.

- :func:`parse_tag` is the one parsing contract: ``("O", "")`` or ``(prefix, type)`` for any
  scheme's prefix (B I E S L U), ValueError for anything else; :func:`check_bio_tags` narrows a
  model's tag list to plain BIO.
- :func:`span_tokens` / :func:`offsets_to_bio` encode character spans as IOB2 tags on tokens.
- :func:`bio_spans` decodes a BIO tag sequence leniently (an ``I-X`` that does not continue an
  entity of type X starts one, as seqeval's default mode reads it); :func:`repair_bio` rewrites
  such tags ``B-X``. Entities are token ranges ``(first, after_last, type)``.
- :class:`TagDecoder` decodes whole token-per-line files in IOB1, IOB2, BIOES/IOBES or BILOU.

The scheme of a file is decided per file: any ``E-``/``S-``/``L-``/``U-`` tag makes it BIOES
(BILOU's ``L``/``U`` are BIOES's ``E``/``S``); otherwise it is IOB. IOB1 and IOB2 decode the same
way (an ``I-`` that does not continue an entity of its type starts one); they differ only in
whether that is allowed. An IOB file is IOB1 when it has such ``I-`` starts and never a ``B-``
that follows ``O`` or another type (in IOB1 ``B-`` only separates two adjacent entities of one
type). A file with both is IOB2 with stray ``I-`` tags: an error unless reading is lenient
(``strict=False``), which then starts an entity there.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Protocol

from engine.types import SpanData

Entity = tuple[int, int, str]
ParsedTag = tuple[str, str]

OUTSIDE = "O"
_OUTSIDE: ParsedTag = (OUTSIDE, "")
_PREFIXES = frozenset("BIESLU")
_BIOES_ONLY = frozenset("ESLU")


class TagContext(Protocol):
    """Where :class:`TagDecoder` reports problems (``engine.formats.registry.ReadContext``)."""

    @property
    def strict(self) -> bool: ...

    def error(self, message: str, line: int | None = None) -> Exception: ...


def parse_tag(tag: str) -> ParsedTag:
    """``("O", "")`` for ``O``, ``(prefix, type)`` for ``B-PER`` and the like.

    Any scheme's prefix (B, I, E, S, L, U) is accepted; raises ValueError for anything else.
    """
    if tag == OUTSIDE:
        return _OUTSIDE
    if len(tag) > 2 and tag[1] == "-" and tag[0] in _PREFIXES:
        return tag[0], tag[2:]
    raise ValueError(f"not a tag: {tag!r} is not O or B-/I-/E-/S-/L-/U- followed by a type")


def looks_like_tag(tag: str) -> bool:
    """True for ``O`` and prefixed tags: used to sniff whether a file is CoNLL."""
    try:
        parse_tag(tag)
    except ValueError:
        return False
    return True


def _parse_bio(tag: str) -> ParsedTag:
    try:
        parsed = parse_tag(tag)
    except ValueError:
        parsed = ("", "")
    if parsed[0] not in ("B", "I", OUTSIDE):
        raise ValueError(f"not a BIO tag: {tag!r}")
    return parsed


def check_bio_tags(tags: Sequence[str]) -> list[str]:
    """Validate a tag list (``O`` present, each tag BIO); return its entity types in order."""
    if OUTSIDE not in tags:
        raise ValueError("the label map has no 'O' tag")
    kinds: list[str] = []
    for tag in tags:
        _, kind = _parse_bio(tag)
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds


def tag_names(labels: Sequence[str]) -> list[str]:
    """``["O", "B-X", "I-X", ...]`` for the entity types ``labels`` in their order."""
    return [OUTSIDE] + [f"{prefix}-{label}" for label in labels for prefix in ("B", "I")]


def span_tokens(tokens: Sequence[tuple[int, int]], spans: Sequence[SpanData]) -> list[list[int]]:
    """Per span, the indices of the tokens (``(start, end)`` offsets, sorted) lying wholly in it.

    Callers split tokens at span boundaries first so that every span maps onto whole tokens.
    """
    starts = [start for start, _ in tokens]
    covered: list[list[int]] = []
    for span in spans:
        i = bisect_left(starts, span.start)
        inside = []
        while i < len(tokens) and tokens[i][1] <= span.end:
            inside.append(i)
            i += 1
        covered.append(inside)
    return covered


def offsets_to_bio(
    tokens: Sequence[tuple[int, int]],
    spans: Sequence[SpanData],
    covered: Sequence[Sequence[int]] | None = None,
) -> list[str]:
    """IOB2 tags of ``tokens`` for non-overlapping ``spans`` (``covered``: their
    :func:`span_tokens`, computed when not given)."""
    tags = [OUTSIDE] * len(tokens)
    for span, inside in zip(
        spans, covered if covered is not None else span_tokens(tokens, spans), strict=True
    ):
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + span.label
    return tags


def _iob_spans(parsed: Sequence[ParsedTag]) -> list[Entity]:
    spans: list[Entity] = []
    open_start, open_kind = -1, ""
    for i, (prefix, kind) in enumerate(parsed):
        if prefix == "I" and open_start >= 0 and kind == open_kind:
            continue
        if open_start >= 0:
            spans.append((open_start, i, open_kind))
            open_start, open_kind = -1, ""
        if prefix != OUTSIDE:
            open_start, open_kind = i, kind
    if open_start >= 0:
        spans.append((open_start, len(parsed), open_kind))
    return spans


def bio_spans(tags: Sequence[str]) -> list[Entity]:
    """``[(first_word, last_word + 1, type)]`` of the entities in a BIO tag sequence.

    ``B-X`` starts an entity, ``I-X`` continues an open ``X`` and otherwise starts one, ``O``
    closes. Raises ValueError for a tag that is not BIO.
    """
    return _iob_spans([_parse_bio(tag) for tag in tags])


def repair_bio(tags: Sequence[str]) -> list[str]:
    """The tags with every entity-starting ``I-X`` rewritten ``B-X`` (same entities)."""
    out = [OUTSIDE] * len(tags)
    for start, end, kind in bio_spans(tags):
        out[start] = f"B-{kind}"
        for i in range(start + 1, end):
            out[i] = f"I-{kind}"
    return out


class TagDecoder:
    """Decodes the sentences of one file; call :meth:`finish` once after the last sentence."""

    def __init__(self, parsed: dict[str, ParsedTag], ctx: TagContext):
        self.parsed = parsed
        self.ctx = ctx
        self.bioes = any(p in _BIOES_ONLY for p, _ in parsed.values())
        self.strays: list[tuple[int, str]] = []  # (line, tag) of I- tags starting an entity
        self.b_start_line: int | None = None  # a B- after O or another type: IOB2 evidence

    @property
    def scheme(self) -> str:
        """The scheme found so far: BIOES, IOB1 or IOB2."""
        if self.bioes:
            return "BIOES"
        return "IOB1" if self.strays and self.b_start_line is None else "IOB2"

    def decode(self, tags: Sequence[str], first_line: int) -> list[Entity]:
        """Entities of one sentence whose first tag is on ``first_line`` (one tag per line)."""
        if self.bioes:
            return self._decode_bioes(tags, first_line)
        return self._decode_iob(tags, first_line)

    def finish(self) -> None:
        """Raise for stray ``I-`` tags of an IOB2 file when reading strictly."""
        if self.scheme == "IOB2" and self.strays and self.ctx.strict:
            line, tag = self.strays[0]
            raise self.ctx.error(
                f"stray {tag}: it follows O or another type, but this file is IOB2 (line "
                f"{self.b_start_line} starts an entity with B-), so entities must start with "
                f"B-; {len(self.strays)} such tag(s) in the file. Fix the tags or read leniently "
                "to start an entity there",
                line,
            )

    def _decode_iob(self, tags: Sequence[str], first_line: int) -> list[Entity]:
        out = _iob_spans([self.parsed[tag] for tag in tags])
        prev_end, prev_type = -1, ""
        for start, end, typ in out:
            if tags[start][0] == "I":
                self.strays.append((first_line + start, tags[start]))
            elif self.b_start_line is None and (prev_end != start or prev_type != typ):
                self.b_start_line = first_line + start  # B- after O or another type
            prev_end, prev_type = end, typ
        return out

    def _decode_bioes(self, tags: Sequence[str], first_line: int) -> list[Entity]:
        out: list[Entity] = []
        parsed = self.parsed
        cur_type, cur_start = "", -1
        for i, tag in enumerate(tags):
            prefix, typ = parsed[tag]
            continues = cur_start >= 0 and typ == cur_type
            if prefix == "I" and continues:
                continue
            if prefix in "EL" and continues:
                out.append((cur_start, i + 1, cur_type))
                cur_start = -1
                continue
            if cur_start >= 0:  # something other than I-/E- of the open type follows it
                self._lenient_only(
                    f"the entity {cur_type} starting at line "
                    f"{first_line + cur_start} is not closed with E-/L-",
                    first_line + i,
                )
                out.append((cur_start, i, cur_type))
                cur_start = -1
            if prefix in "IEL":
                self._lenient_only(
                    f"stray {tag}: it does not continue a {typ} entity opened with B-",
                    first_line + i,
                )
            if prefix in "SUEL":
                out.append((i, i + 1, typ))
            elif prefix in "BI":
                cur_type, cur_start = typ, i
        if cur_start >= 0:
            self._lenient_only(
                f"the entity {cur_type} starting at line {first_line + cur_start}"
                " is not closed with E-/L- before the sentence ends",
                first_line + len(tags) - 1,
            )
            out.append((cur_start, len(tags), cur_type))
        return out

    def _lenient_only(self, message: str, line: int) -> None:
        if self.ctx.strict:
            raise self.ctx.error(message + " (BIOES file); fix the tags or read leniently", line)
