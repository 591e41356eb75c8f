"""PDF, DOCX, HTML and Markdown readers: the stored text is the extracted text, origin goes to
metadata, and scanned / encrypted / damaged files get a message naming the file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from engine.api import Project
from engine.errors import FormatError
from engine.formats import read_file
from engine.formats.files import detect_format

pypdf = pytest.importorskip("pypdf")


def pdf_with_text(pages: list[str]) -> bytes:
    """A small, valid PDF with one text line per page (Helvetica), offsets computed."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
            f"<< /Font << /F1 {font} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def test_pdf_text_layer_with_page_origin(tmp_path: Path, project: Project) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_with_text(["Ana Lee visited Oslo.", "Bo met Cy in Rome."]))
    assert detect_format(path) == "pdf"
    [doc] = read_file(path)
    expected = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    assert doc.text == expected[0] + "\n\n" + expected[1]
    assert "Ana Lee visited Oslo." in doc.text
    origin = doc.metadata["origin"]
    assert [o[2] for o in origin] == [1, 2]
    assert doc.text[origin[1][0] : origin[1][1]] == expected[1]
    assert doc.metadata["source_format"] == "pdf" and doc.labelled is False
    report = project.import_files([path])
    assert report.documents == 1 and report.segments >= 2


def test_pdf_scanned_encrypted_corrupt(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    scanned = tmp_path / "scan.pdf"
    with scanned.open("wb") as f:
        writer.write(f)
    with pytest.raises(FormatError, match="no text layer") as info:
        read_file(scanned)
    assert info.value.path == str(scanned)

    locked = pypdf.PdfWriter()
    locked.add_blank_page(200, 200)
    locked.encrypt("secret", algorithm="RC4-128")
    enc = tmp_path / "locked.pdf"
    with enc.open("wb") as f:
        locked.write(f)
    with pytest.raises(FormatError, match="encrypted") as info:
        read_file(enc)
    assert info.value.path == str(enc)

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf")
    with pytest.raises(FormatError, match="not a readable PDF") as info:
        read_file(broken)
    assert info.value.path == str(broken)


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("Quarterly note", level=1)
    document.add_paragraph("Ana Lee visited Oslo.")
    document.add_paragraph("")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Acme Corp"
    table.cell(0, 1).text = "Rome"
    document.add_paragraph("Bo met Cy.")
    path = tmp_path / "note.docx"
    document.save(path)
    assert detect_format(path) == "docx"
    [doc] = read_file(path)
    assert doc.text == "Quarterly note\nAna Lee visited Oslo.\nAcme Corp\nRome\nBo met Cy."
    assert [o[2] for o in doc.metadata["origin"]] == [1, 2, 4, 5, 6]
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FormatError, match="not a readable Word document"):
        read_file(broken)


HTML = """<!DOCTYPE html>
<html><head><title>News</title><style>p { color: red }</style>
<script>var menu = "Home";</script></head>
<body>
<header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main>
  <h1>Ana Lee visits Oslo</h1>
  <p>Ana Lee, CEO of <b>Acme</b>,
     arrived in Oslo on Monday.</p>
  <ul><li>Bo met Cy</li><li>in Rome</li></ul>
  <script>track();</script>
</main>
<aside>Related: cookies</aside>
<footer>&copy; 2026 News Ltd</footer>
</body></html>
"""


def test_html_main_content_without_menus(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    assert detect_format(path) == "html"
    [doc] = read_file(path)
    assert doc.text == (
        "Ana Lee visits Oslo\nAna Lee, CEO of Acme, arrived in Oslo on Monday.\nBo met Cy\nin Rome"
    )
    for junk in ("Home", "About", "cookies", "2026", "track", "color"):
        assert junk not in doc.text
    assert doc.metadata["title"] == "News"
    assert len(doc.metadata["origin"]) == 4


def test_markdown_text_without_markup(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        "# Visit\n\nAna **Lee** went to [Oslo](http://x.org).\n\n"
        "- Bo met *Cy*\n- in `Rome`\n\n```\ncode here\n```\n",
        encoding="utf-8",
    )
    assert detect_format(path) == "markdown"
    [doc] = read_file(path)
    assert doc.text == "Visit\nAna Lee went to Oslo.\nBo met Cy\nin Rome\ncode here"
    assert [o[2] for o in doc.metadata["origin"]] == [1, 3, 5, 6, 8]
