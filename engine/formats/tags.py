"""Tag schemes of token-per-line files: IOB1, IOB2, BIOES/IOBES and BILOU.

Decoding turns a sentence's tags into entities as token ranges ``(first, after_last, type)``.
The scheme is decided per file: any ``E-``/``S-``/``L-``/``U-`` tag makes it BIOES (BILOU's
``L``/``U`` are BIOES's ``E``/``S``); otherwise it is IOB. IOB1 and IOB2 decode the same way (an
``I-`` that does not continue an entity of its type starts one); they differ only in whether that
is allowed. An IOB file is IOB1 when it has such ``I-`` starts and never a ``B-`` that follows
``O`` or another type (in IOB1 ``B-`` only separates two adjacent entities of one type). A file
with both is IOB2 with stray ``I-`` tags: an error unless reading is lenient (``strict=False``),
which then starts an entity there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engine.types import SpanData

from .registry import ReadContext

Entity = tuple[int, int, str]
ParsedTag = tuple[str, str]

OUTSIDE: ParsedTag = ("O", "")
_PREFIXES = frozenset("BIESLU")
_BIOES_ONLY = frozenset("ESLU")


def parse_tag(tag: str) -> ParsedTag | None:
    """``("O", "")`` for ``O``, ``(prefix, type)`` for ``B-PER`` and the like, None if unknown."""
    if tag == "O":
        return OUTSIDE
    if len(tag) > 2 and tag[1] == "-" and tag[0] in _PREFIXES:
        return tag[0], tag[2:]
    return None


def looks_like_tag(tag: str) -> bool:
    """True for ``O`` and prefixed tags: used to sniff whether a file is CoNLL."""
    return parse_tag(tag) is not None


class TagDecoder:
    """Decodes the sentences of one file; call :meth:`finish` once after the last sentence."""

    def __init__(self, parsed: dict[str, ParsedTag], ctx: ReadContext):
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
                "to start an entity there", line)

    def _decode_iob(self, tags: Sequence[str], first_line: int) -> list[Entity]:
        out: list[Entity] = []
        parsed = self.parsed
        cur_type, cur_start = "", -1
        for i, tag in enumerate(tags):
            prefix, typ = parsed[tag]
            if prefix == "O":
                if cur_start >= 0:
                    out.append((cur_start, i, cur_type))
                    cur_start = -1
                continue
            if prefix == "I" and cur_start >= 0 and typ == cur_type:
                continue
            if prefix == "I":
                self.strays.append((first_line + i, tag))
            elif (cur_start < 0 or typ != cur_type) and self.b_start_line is None:
                self.b_start_line = first_line + i  # B- after O or another type
            if cur_start >= 0:
                out.append((cur_start, i, cur_type))
            cur_type, cur_start = typ, i
        if cur_start >= 0:
            out.append((cur_start, len(tags), cur_type))
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
                self._lenient_only(f"the entity {cur_type} starting at line "
                                   f"{first_line + cur_start} is not closed with E-/L-",
                                   first_line + i)
                out.append((cur_start, i, cur_type))
                cur_start = -1
            if prefix in "IEL":
                self._lenient_only(f"stray {tag}: it does not continue a {typ} entity "
                                   "opened with B-", first_line + i)
            if prefix in "SUEL":
                out.append((i, i + 1, typ))
            elif prefix in "BI":
                cur_type, cur_start = typ, i
        if cur_start >= 0:
            self._lenient_only(f"the entity {cur_type} starting at line {first_line + cur_start}"
                               " is not closed with E-/L- before the sentence ends",
                               first_line + len(tags) - 1)
            out.append((cur_start, len(tags), cur_type))
        return out

    def _lenient_only(self, message: str, line: int) -> None:
        if self.ctx.strict:
            raise self.ctx.error(message + " (BIOES file); fix the tags or read leniently",
                                 line)


def iob2_tags(tokens: Sequence[tuple[int, int]], spans: Iterable[SpanData]) -> list[str]:
    """IOB2 tags of ``tokens`` (offsets) for non-overlapping ``spans`` sorted by start.

    A token is inside a span when it lies wholly within it; callers split tokens at span
    boundaries first so that every span maps exactly onto whole tokens.
    """
    tags = ["O"] * len(tokens)
    it = iter(spans)
    span = next(it, None)
    first = True
    for k, (start, end) in enumerate(tokens):
        while span is not None and span.end <= start:
            span, first = next(it, None), True
        if span is not None and span.start <= start and end <= span.end:
            tags[k] = ("B-" if first else "I-") + span.label
            first = False
    return tags
