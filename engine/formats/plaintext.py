"""Plain text: ``text`` is one document per file, ``text-lines`` one document per non-empty line.

The text is kept exactly (CRLF, NBSP, trailing spaces); only the file's BOM is removed, before
the reader sees it. Plain text carries no annotations (``labelled=False``).
"""

from __future__ import annotations

from engine.types import DocumentData

from .registry import ReadContext, register_reader


def _sniff_text(head: str) -> float:
    # The fallback for any text file: every other reader that recognises the content wins.
    # U+FFFD stands for bytes that are not UTF-8 (the head's last few may be a cut character).
    return 0.0 if "\x00" in head or "\ufffd" in head[:-3] else 0.1


@register_reader(
    "text",
    extensions=(".txt", ".text"),
    sniff=_sniff_text,
    description="plain text, one document per file",
)
def read_text(text: str, ctx: ReadContext) -> list[DocumentData]:
    """The whole file as one unlabelled document."""
    return [DocumentData(text=text, line=1, labelled=False)]


@register_reader("text-lines", description="plain text, one document per non-empty line")
def read_text_lines(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Each non-blank line (without its ``\\n`` or ``\\r\\n``) as one unlabelled document."""
    docs = []
    for i, line in enumerate(text.split("\n")):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip():
            docs.append(DocumentData(text=line, line=i + 1, labelled=False))
    return docs
