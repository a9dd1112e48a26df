"""Readers for HTML, PDF, DOCX, Markdown front matter and the text encodings, on files made here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.chunk import chunk_document
from assistant.decode import decode_bytes
from assistant.errors import SourceError
from assistant.formats import read_document
from assistant.sources import read_documents

ARABIC = "قال المرصد السوري إن عدد القتلى بلغ سبعين في الهجوم على سجن الصناعة.\nوأكدت قسد السيطرة على السجن."


def check_offsets(doc) -> None:
    passages = chunk_document(doc)
    assert passages
    for p in passages:
        assert doc.text[p.start:p.end] == p.text


# ---------------------------------------------------------------- PDF made by the test


def make_pdf(path: Path, lines: list[str], title: str = "") -> None:
    """A one-page PDF with a real text layer: a Type0 font with a ToUnicode map, glyphs laid out
    in visual (right-to-left) order as PDF producers do for Arabic."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    lines = [line[::-1] for line in lines]
    chars = sorted({c for line in lines for c in line})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    bf = "\n".join(f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chars)
    cmap = ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"{len(chars)} beginbfchar\n{bf}\nendbfchar\nendcmap\n"
            "CMapName currentdict /CMap defineresource pop\nend\nend\n")
    n = NameObject
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    to_unicode = DecodedStreamObject()
    to_unicode.set_data(cmap.encode())
    descendant = DictionaryObject({
        n("/Type"): n("/Font"), n("/Subtype"): n("/CIDFontType2"), n("/BaseFont"): n("/TestFont"),
        n("/DW"): NumberObject(500),
        n("/CIDSystemInfo"): DictionaryObject({n("/Registry"): TextStringObject("Adobe"),
                                               n("/Ordering"): TextStringObject("Identity"),
                                               n("/Supplement"): NumberObject(0)})})
    font = DictionaryObject({
        n("/Type"): n("/Font"), n("/Subtype"): n("/Type0"), n("/BaseFont"): n("/TestFont"),
        n("/Encoding"): n("/Identity-H"),
        n("/DescendantFonts"): ArrayObject([writer._add_object(descendant)]),
        n("/ToUnicode"): writer._add_object(to_unicode)})
    fonts = DictionaryObject({n("/F1"): writer._add_object(font)})
    page[n("/Resources")] = DictionaryObject({n("/Font"): fonts})
    ops = ["BT", "/F1 12 Tf", "72 760 Td"]
    for line in lines:
        ops += ["<" + "".join(f"{cid[c]:04X}" for c in line) + "> Tj", "0 -24 Td"]
    content = DecodedStreamObject()
    content.set_data("\n".join(ops + ["ET"]).encode())
    page[n("/Contents")] = writer._add_object(content)
    if title:
        writer.add_metadata({"/Title": title})
    with open(path, "wb") as f:
        writer.write(f)


def test_pdf_text_layer_and_title(tmp_path):
    path = tmp_path / "report.pdf"
    lines = ["قال المرصد السوري إن عدد القتلى بلغ سبعين", "وأكدت قسد السيطرة على السجن"]
    make_pdf(path, lines, "تقرير المرصد")
    doc = read_document(path, tmp_path)
    assert "قال المرصد السوري إن عدد القتلى بلغ سبعين" in doc.text
    assert "وأكدت قسد السيطرة على السجن" in doc.text
    assert doc.source.title == "تقرير المرصد" and doc.doc_id == "report" and doc.source.path == "report.pdf"
    check_offsets(doc)


def test_pdf_without_text_layer_is_refused(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)  # like a scan: a page, but no text
    with open(tmp_path / "scan.pdf", "wb") as f:
        writer.write(f)
    with pytest.raises(SourceError, match=r"scan\.pdf: no text found"):
        read_document(tmp_path / "scan.pdf", tmp_path)


def test_corrupt_pdf_and_docx_name_the_file(tmp_path):
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    (tmp_path / "bad.docx").write_bytes(b"PK\x03\x04 not a zip")
    for name in ("bad.pdf", "bad.docx"):
        with pytest.raises(SourceError, match=name.replace(".", r"\.")):
            read_document(tmp_path / name, tmp_path)


# ---------------------------------------------------------------- DOCX


def test_docx_paragraphs_tables_and_title(tmp_path):
    import docx

    d = docx.Document()
    d.core_properties.title = "تقرير عن الهجوم"
    d.add_heading("الهجوم على سجن غويران", level=1)
    d.add_paragraph("قال المرصد السوري إن عدد القتلى بلغ سبعين.")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "القتلى"
    table.rows[0].cells[1].text = "سبعون"
    d.add_paragraph("وأكدت قسد السيطرة على السجن.")
    d.save(tmp_path / "report.docx")
    doc = read_document(tmp_path / "report.docx", tmp_path)
    assert doc.text.split("\n\n") == ["الهجوم على سجن غويران", "قال المرصد السوري إن عدد القتلى بلغ سبعين.",
                                      "القتلى | سبعون", "وأكدت قسد السيطرة على السجن."]
    assert doc.source.title == "تقرير عن الهجوم"
    check_offsets(doc)


# ---------------------------------------------------------------- HTML

PAGE = """<!doctype html><html><head><title>هجوم على سجن الصناعة</title>
<meta property="og:site_name" content="عنب بلدي">
<meta property="article:published_time" content="2022-01-21T10:00:00+03:00">
<link rel="canonical" href="https://example.org/a/1">
<style>.x { color: red }</style><script>var secret = "سر لا يظهر";</script></head>
<body><nav><a href="/">الرئيسية</a></nav><h1>الهجوم</h1>
<p>قال المرصد إن <b>عدد</b> القتلى بلغ سبعين.</p>
<script type="application/ld+json">{"headline": "مخفي"}</script>
<div style="display: none">نص مخفي</div><div hidden>مخفي أيضاً</div><noscript>فعّل جافاسكربت</noscript>
<!-- تعليق لا يظهر --><p>سطر<br>ثان</p></body></html>"""


@pytest.mark.parametrize("encoding,declare", [("utf-8", False), ("cp1256", True), ("cp1256", False)])
def test_html_visible_text_and_meta(tmp_path, encoding, declare):
    page = PAGE.replace("<head>", '<head><meta charset="windows-1256">') if declare else PAGE
    (tmp_path / "page.html").write_bytes(page.encode(encoding))
    doc = read_document(tmp_path / "page.html", tmp_path)
    assert doc.text == "الرئيسية\n\nالهجوم\n\nقال المرصد إن عدد القتلى بلغ سبعين.\n\nسطر\nثان"
    for hidden in ("secret", "سر", "color", "مخفي", "جافاسكربت", "تعليق", "headline"):
        assert hidden not in doc.text
    s = doc.source
    assert (s.title, s.outlet, s.date, s.url) == ("هجوم على سجن الصناعة", "عنب بلدي", "2022-01-21",
                                                  "https://example.org/a/1")
    check_offsets(doc)


def test_sidecar_metadata_wins_over_html(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "metadata.json").write_text('{"page.html": {"title": "عنوان المحرر", "date": "2022-01-22"}}',
                                            encoding="utf-8")
    [doc] = read_documents([tmp_path])
    s = doc.source
    assert (s.title, s.outlet, s.date) == ("عنوان المحرر", "عنب بلدي", "2022-01-22")


# ---------------------------------------------------------------- Markdown front matter


def test_markdown_front_matter_is_metadata_not_text(tmp_path):
    body = "# الهجوم\n\nقال المرصد إن عدد القتلى بلغ سبعين.\n"
    raw = ("---\ntitle: تقرير المرصد\noutlet: المرصد السوري\ndate: 2022-01-23\n"
           "url: https://example.org/r\n---\n" + body)
    (tmp_path / "note.md").write_text(raw, encoding="utf-8")
    [doc] = read_documents([tmp_path])
    s = doc.source
    assert (s.title, s.outlet, s.date, s.url) == ("تقرير المرصد", "المرصد السوري", "2022-01-23",
                                                  "https://example.org/r")
    assert doc.text == raw  # offsets index into the file as written
    passages = chunk_document(doc)
    assert passages and all("title:" not in p.text and "---" not in p.text for p in passages)
    assert all(doc.text[p.start:p.end] == p.text for p in passages)
    assert min(p.start for p in passages) == raw.index("# الهجوم")


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1256"])
def test_text_encodings(tmp_path, encoding):
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(ARABIC.encode(encoding))
    doc = read_document(path, tmp_path)
    assert doc.text == ARABIC


def test_utf16_without_bom_latin_text():
    assert decode_bytes("Hasakah prison attack\n".encode("utf-16-le")) == "Hasakah prison attack\n"


@pytest.mark.parametrize("blob", [bytes(4000), os.urandom(4000), os.urandom(8000).replace(b"\x00", b""),
                                  b"\x00\x01" * 2000, b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8,
                                  b"\xef\xbb\xbf" + "نص".encode("cp1256")])
def test_binary_is_refused_with_the_file_name(tmp_path, blob):
    path = tmp_path / "data.txt"
    path.write_bytes(blob)
    with pytest.raises(SourceError, match=r"data\.txt: "):
        read_document(path, tmp_path)


def test_markdown_title_from_heading(tmp_path):
    (tmp_path / "n.md").write_text("\n# تقرير الحسكة\n\nقال المرصد إن عدد القتلى بلغ سبعين.\n", "utf-8")
    [doc] = read_documents([tmp_path])
    assert doc.source.title == "تقرير الحسكة"
