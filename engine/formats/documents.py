"""Analysts' documents: PDF (text layer), Word DOCX, HTML (main content) and Markdown.

Each file is one unlabelled document whose text is exactly the extracted text; where it came
from goes into the document's metadata: ``source_format`` and ``origin``, a list of
``[start, end, where]`` (``where`` is the page number for PDF, the paragraph number for DOCX and
HTML, the first source line for Markdown). Paragraphs are joined by ``\\n``, PDF pages by
``\\n\\n``. The libraries (pypdf, python-docx, selectolax, markdown-it-py) are imported only when
such a file is read; a missing one is named in the error.

A PDF without a text layer (scanned), an encrypted PDF and a damaged file each get a message
naming the file.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.errors import FormatError
from engine.types import DocumentData

from .registry import ReadContext, register_path_reader, register_reader
from .source import read_capped

log = logging.getLogger(__name__)

Origin = list[list[int]]


def _need(module: str, package: str, path: Path) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise FormatError(
            f"reading this file needs the Python package {package!r} (pip install {package})",
            path=path,
        ) from None


def _join(pieces: list[tuple[str, int]], sep: str) -> tuple[str, Origin]:
    """Text of the non-blank ``(text, where)`` pieces joined by ``sep``, with their origin."""
    parts: list[str] = []
    origin: Origin = []
    pos = 0
    for text, where in pieces:
        if not text.strip():
            continue
        if parts:
            parts.append(sep)
            pos += len(sep)
        parts.append(text)
        origin.append([pos, pos + len(text), where])
        pos += len(text)
    return "".join(parts), origin


def _document(text: str, origin: Origin, fmt: str, path: Path, **extra: Any) -> DocumentData:
    if not text.strip():
        raise FormatError(f"no text found in this {fmt.upper()} file", path=path)
    return DocumentData(
        text=text,
        metadata={"source_format": fmt, "origin": origin, **extra},
        line=None,
        labelled=False,
    )


# ---- PDF -----------------------------------------------------------------------------------


def _sniff_pdf(head: str) -> float:
    return 0.99 if head.startswith("%PDF-") else 0.0


@register_path_reader(
    "pdf",
    extensions=(".pdf",),
    sniff=_sniff_pdf,
    binary=True,
    description="PDF (its text layer; one document per file)",
)
def read_pdf(path: Path, ctx: ReadContext) -> Iterator[DocumentData]:
    """The text layer of every page (pypdf)."""
    pypdf = _need("pypdf", "pypdf", path)
    data = read_capped(path, ctx.options.get("max_bytes"))
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001  (missing crypto backend, bad key…)
                opened = 0
            if not opened:
                raise FormatError(
                    "the PDF is encrypted (password-protected); save an "
                    "unprotected copy to import it",
                    path=path,
                )
        pages = [(page.extract_text() or "", i) for i, page in enumerate(reader.pages, 1)]
    except FormatError:
        raise
    except Exception as exc:  # noqa: BLE001  pypdf raises many kinds on damaged files
        log.debug("pypdf failed on %s", path, exc_info=True)
        raise FormatError(
            f"not a readable PDF (damaged or not a PDF): {type(exc).__name__}: {exc}", path=path
        ) from None
    text, origin = _join(pages, "\n\n")
    if not text.strip():
        raise FormatError(
            f"the PDF has no text layer ({len(pages)} page(s) without text; a "
            "scanned document?); run OCR on it first",
            path=path,
        )
    yield _document(text, origin, "pdf", path, pages=len(pages))


# ---- DOCX ----------------------------------------------------------------------------------


def _sniff_docx(head: str) -> float:
    return 0.5 if head.startswith("PK\x03\x04") and "word/" in head else 0.0


def _docx_paragraphs(document: Any) -> Iterator[str]:
    """Paragraph texts in body order, table cells included."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, document).text
        elif tag == "tbl":
            for row in Table(child, document).rows:
                for cell in row.cells:
                    for para in cell.paragraphs:
                        yield para.text


@register_path_reader(
    "docx",
    extensions=(".docx",),
    sniff=_sniff_docx,
    binary=True,
    description="Word document (.docx; one document per file)",
)
def read_docx(path: Path, ctx: ReadContext) -> Iterator[DocumentData]:
    """The paragraphs (and table cells) of a Word document (python-docx)."""
    docx = _need("docx", "python-docx", path)
    data = read_capped(path, ctx.options.get("max_bytes"))
    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = list(_docx_paragraphs(document))
    except Exception as exc:  # noqa: BLE001  zip, XML and package errors
        raise FormatError(
            f"not a readable Word document (damaged, or not .docx): {type(exc).__name__}: {exc}",
            path=path,
        ) from None
    text, origin = _join([(p, i) for i, p in enumerate(paragraphs, 1)], "\n")
    yield _document(text, origin, "docx", path)


# ---- HTML ----------------------------------------------------------------------------------

_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "svg",
    "iframe",
    "button",
    "select",
    "head",
)
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "td",
        "th",
        "tr",
        "table",
        "blockquote",
        "pre",
        "figcaption",
        "caption",
        "br",
        "hr",
        "body",
        "address",
        "details",
        "summary",
        "figure",
    }
)


def _sniff_html(head: str) -> float:
    start = head.lstrip()[:200].lower()
    return 0.9 if start.startswith(("<!doctype html", "<html")) else 0.0


def _html_blocks(node: Any) -> list[str]:
    """Texts of the block-level pieces under ``node``, whitespace collapsed."""
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = " ".join("".join(current).split())
        if line:
            blocks.append(line)
        current.clear()

    def walk(n: Any) -> None:
        child = n.child
        while child is not None:
            if child.tag == "-text":
                current.append(child.text_content or "")
            elif child.tag in _BLOCKS:
                flush()
                walk(child)
                flush()
            elif child.tag != "_comment":
                walk(child)
            child = child.next

    walk(node)
    flush()
    return blocks


@register_reader(
    "html",
    extensions=(".html", ".htm", ".xhtml"),
    sniff=_sniff_html,
    description="web page (.html; main content, without menus)",
)
def read_html(text: str, ctx: ReadContext) -> list[DocumentData]:
    """The main content of a web page: ``<main>``/``<article>`` when there is one, else the
    body, without navigation, header, footer, scripts and styles (selectolax)."""
    lexbor = _need("selectolax.lexbor", "selectolax", ctx.path)
    tree = lexbor.LexborHTMLParser(text)
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node is not None else ""
    for selector in _DROP:
        for node in tree.css(selector):
            node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body or tree.root
    if root is None:
        raise ctx.error("no HTML content")
    blocks = _html_blocks(root)
    doc_text, origin = _join([(b, i) for i, b in enumerate(blocks, 1)], "\n")
    extra = {"title": title} if title else {}
    return [_document(doc_text, origin, "html", ctx.path, **extra)]


# ---- Markdown ------------------------------------------------------------------------------


def _inline_text(token: Any) -> str:
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)


@register_reader(
    "markdown",
    extensions=(".md", ".markdown"),
    description="Markdown (.md; the text without markup)",
)
def read_markdown(text: str, ctx: ReadContext) -> list[DocumentData]:
    """Headings, paragraphs, list items, quotes, table cells and code blocks as lines of text
    without markup (markdown-it-py); ``origin`` gives each block's first source line."""
    markdown_it = _need("markdown_it", "markdown-it-py", ctx.path)
    md = markdown_it.MarkdownIt("commonmark").enable("table")
    pieces: list[tuple[str, int]] = []
    for token in md.parse(text):
        line = token.map[0] + 1 if token.map else 0
        if token.type == "inline":
            pieces.append((_inline_text(token), line))
        elif token.type in ("fence", "code_block"):
            pieces.append((token.content.rstrip("\n"), line))
    doc_text, origin = _join(pieces, "\n")
    return [_document(doc_text, origin, "markdown", ctx.path)]
