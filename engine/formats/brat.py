"""brat standoff: ``NAME.txt`` (the text) with ``NAME.ann`` (the annotations) beside it.

Reading takes the ``.txt``, the ``.ann`` or a folder of pairs (searched recursively, in name
order). ``T`` lines (``T1<TAB>PER 0 4<TAB>John``) become spans on the exact ``.txt`` text, and
their text must match it. Entities inside another entity are nested, which flat NER cannot hold:
the outer one is kept, the inner ones counted. Relations (``R``), events (``E``), attributes
(``A``/``M``), normalizations (``N``), equivalences (``*``) and notes (``#``) are counted and
reported as not kept. A discontinuous span (``0 4;10 15``) is refused with its line number, as
are crossing entities. A ``.txt`` without a ``.ann`` in a folder is an unlabelled document.

Writing makes a folder with one ``.txt`` and ``.ann`` per document (named after the file it was
imported from, else ``doc-0001``); spans become ``T`` lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from engine.errors import FormatError
from engine.types import DocumentData, SpanData

from .atomic import atomic_text_writer
from .flat import keep_outer
from .registry import ReadContext, register_path_reader, register_writer
from .source import check_regular, read_text

_OFFSETS_RE = re.compile(r"^\d+ \d+(;\d+ \d+)*$")
_NOT_KEPT = {
    "R": "relations (R lines) not kept",
    "E": "events (E lines) not kept",
    "A": "attributes (A lines) not kept",
    "M": "attributes (M lines) not kept",
    "N": "normalizations (N lines) not kept",
    "*": "equivalences (* lines) not kept",
    "#": "notes (# lines) not kept",
}
META_KEY = "brat_file"


def _claims(path: Path) -> bool:
    ext = path.suffix.lower()
    if ext == ".ann":
        return True
    if ext == ".txt":
        return path.with_suffix(".ann").is_file()
    return path.is_dir() and next(path.rglob("*.ann"), None) is not None


def _pairs(path: Path) -> list[tuple[Path, Path | None, str]]:
    """``(txt, ann or None, name relative to the folder)`` for each document."""
    if path.is_dir():
        texts = sorted(p for p in path.rglob("*.txt") if not p.name.startswith("."))
        anns = {p.with_suffix(""): p for p in path.rglob("*.ann")}
        out = []
        for txt in texts:
            ann = anns.pop(txt.with_suffix(""), None)
            out.append((txt, ann, txt.relative_to(path).with_suffix("").as_posix()))
        if anns:
            orphan = sorted(anns.values())[0]
            raise FormatError("this .ann file has no .txt beside it (brat needs both)", path=orphan)
        return out
    txt, ann = path.with_suffix(".txt"), path.with_suffix(".ann")
    if not txt.exists():
        raise FormatError(
            f"brat annotations need their text file {txt.name} beside them", path=path
        )
    if not ann.exists():
        raise FormatError(f"brat text needs its annotation file {ann.name} beside it", path=path)
    return [(txt, ann, txt.stem)]


def _entities(
    ann_text: str, ann: Path, text: str, ctx: ReadContext
) -> list[tuple[int | None, SpanData]]:
    """``(line, span)`` of each ``T`` line, checked against the text; other lines counted."""
    out: list[tuple[int | None, SpanData]] = []
    for n, line in enumerate(ann_text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        kind = line[0]
        if kind != "T":
            if kind not in _NOT_KEPT:
                raise FormatError(f"not a brat annotation line: {line[:40]!r}", path=ann, line=n)
            ctx.note(_NOT_KEPT[kind])
            continue
        parts = line.split("\t")
        if len(parts) < 2 or " " not in parts[1]:
            raise FormatError(
                f"a T line is ID<TAB>TYPE START END<TAB>TEXT, got {line[:40]!r}", path=ann, line=n
            )
        label, offsets = parts[1].split(" ", 1)
        if not _OFFSETS_RE.match(offsets):
            raise FormatError(f"bad offsets {offsets!r} (expected START END)", path=ann, line=n)
        if ";" in offsets:
            raise FormatError(
                f"discontinuous span {offsets!r} ({label}): only continuous "
                "spans can be imported; split it into separate entities",
                path=ann,
                line=n,
            )
        start, end = (int(x) for x in offsets.split(" "))
        if not 0 <= start < end <= len(text):
            raise FormatError(
                f"span {start} {end} ({label}) is empty or outside the text (length {len(text)})",
                path=ann,
                line=n,
            )
        shown = "\t".join(parts[2:])
        if len(parts) >= 3 and shown.split() != text[start:end].split():
            raise FormatError(
                f"span {start} {end} ({label}) covers {text[start:end]!r} in "
                f"the .txt but the .ann says {shown!r}; are the files a pair?",
                path=ann,
                line=n,
            )
        out.append((n, SpanData(start, end, label)))
    return out


@register_path_reader(
    "brat",
    extensions=(".ann",),
    claims=_claims,
    description="brat standoff (.txt + .ann pairs, or a folder of them)",
)
def read_brat(path: Path, ctx: ReadContext) -> Iterator[DocumentData]:
    """One document per ``.txt``/``.ann`` pair."""
    limit = ctx.options.get("max_bytes")
    for txt, ann, name in _pairs(path):
        check_regular(txt)
        text = read_text(txt, limit)
        spans: list[SpanData] = []
        if ann is not None:
            check_regular(ann)
            spans = keep_outer(_entities(read_text(ann, limit), ann, text, ctx), ctx, ann)
        yield DocumentData(
            text=text, spans=spans, metadata={META_KEY: name}, labelled=ann is not None
        )


def safe_names(docs: list[DocumentData], key: str = "brat_file") -> list[str]:
    """A file name (without extension) per document: its ``key`` metadata when that is a
    safe relative name not used yet, else ``doc-0001`` and so on."""
    names: list[str] = []
    taken: set[str] = set()
    for i, doc in enumerate(docs, 1):
        found = doc.metadata.get(key)
        name = found if isinstance(found, str) else ""
        ok = (
            bool(name)
            and ".." not in name.split("/")
            and not name.startswith("/")
            and re.fullmatch(r"[\w./ -]+", name) is not None
        )
        if not ok or name in taken:
            name = f"doc-{i:04d}"
        taken.add(name)
        names.append(name)
    return names


@register_writer(
    "brat",
    extension="",
    stdout=False,
    description="brat standoff folder (.txt + .ann per document)",
)
def write_brat(docs: Iterable[DocumentData], path: Path, labels: Sequence[str]) -> int:
    """Write ``path/NAME.txt`` and ``path/NAME.ann`` per document; returns the documents."""
    all_docs = list(docs)
    if path.exists() and not path.is_dir():
        raise FormatError("brat export writes a folder; this path is a file")
    path.mkdir(parents=True, exist_ok=True)
    for doc, name in zip(all_docs, safe_names(all_docs), strict=True):
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_text_writer(target.with_name(target.name + ".txt")) as out:
            if doc.text.startswith("\ufeff"):
                out.write("\ufeff")  # a reader strips one BOM; the text's own one stays
            out.write(doc.text)
        lines = []
        for k, s in enumerate(sorted(doc.spans, key=lambda s: (s.start, s.end)), 1):
            shown = doc.text[s.start : s.end]
            if "\n" in shown or "\r" in shown or "\t" in shown:
                shown = " ".join(shown.split())
            lines.append(f"T{k}\t{s.label} {s.start} {s.end}\t{shown}\n")
        with atomic_text_writer(target.with_name(target.name + ".ann")) as out:
            out.write("".join(lines))
    return len(all_docs)
