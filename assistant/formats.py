"""Readers for rich formats: HTML (visible text), PDF (text layer), DOCX, Markdown front matter.

Each reader returns a Document whose ``text`` is the extracted text: passage offsets and
citations index into it. Metadata comes from the sidecar file first (the user's word), then
from the file itself (HTML ``<title>``/meta tags, PDF/DOCX properties, front matter).
"""

from __future__ import annotations

import re
from pathlib import Path

from .decode import decode_bytes, file_source, front_matter, front_matter_end, make_document
from .errors import SourceError
from .records import Document

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
FORMAT_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}  # one document per file
META_FIELDS = ("title", "outlet", "date", "url")

# Elements whose content a reader never sees.
_INVISIBLE = ["script", "style", "noscript", "template", "head", "svg", "canvas", "iframe", "object"]
_BLOCK = ["p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "li", "ul", "ol",
          "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "blockquote", "pre", "figure",
          "figcaption", "dd", "dt", "dl", "address", "hr", "form", "fieldset"]
_META_KEYS = {
    "title": ("og:title", "twitter:title", "dc.title"),
    "outlet": ("og:site_name", "publisher", "dc.publisher", "application-name"),
    "date": ("article:published_time", "datepublished", "date", "pubdate", "publish-date",
             "dc.date", "dc.date.issued", "sailthru.date"),
    "url": ("og:url",),
}


def read_document(path: Path, root: Path, meta: dict | None = None) -> Document:
    """Read one single-document file (.txt, .md, .html, .pdf, .docx) into a Document.

    Metadata: ``meta`` (the sidecar, the user's word) wins over what the file itself says.
    """
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text = decode_bytes(path.read_bytes(), str(path))
        found = _front_matter(path, text) if suffix == ".md" else {}
        if not text[front_matter_end(text) if suffix == ".md" else 0:].strip():
            raise SourceError(f"{path}: empty file")
    else:
        if suffix in HTML_SUFFIXES:
            text, found = html_text(path.read_bytes(), str(path))
        elif suffix == ".pdf":
            text, found = pdf_text(path)
        elif suffix == ".docx":
            text, found = docx_text(path)
        else:
            raise SourceError(f"{path}: unsupported file type")
        if not text.strip():
            raise SourceError(f"{path}: no text found" + (" (scanned PDF without a text layer?)"
                                                           if suffix == ".pdf" else ""))
    meta = {**found, **_present(meta)}
    return make_document(file_source(path, root, text, meta), text)


def _present(meta: dict | None) -> dict:
    return {k: str(v) for k, v in (meta or {}).items() if v not in (None, "")}


def _front_matter(path: Path, text: str) -> dict:
    """Metadata from a leading YAML block of a Markdown file (the block itself is not indexed)."""
    block = front_matter(text)
    if block is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        raise SourceError(f"{path}: invalid front matter ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        return {}
    return {k: str(data[k]) for k in ("id", *META_FIELDS) if data.get(k) not in (None, "")}


# ---------------------------------------------------------------- HTML


def _decode_html(data: bytes, name: str) -> str:
    """BOM first, then the charset the page declares, then our own detection."""
    from bs4.dammit import EncodingDetector

    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        declared = EncodingDetector.find_declared_encoding(data, is_html=True)
        if declared:
            try:
                return data.decode(declared)
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration is common; fall back to detection
    try:
        return decode_bytes(data, name)
    except SourceError:
        # Markup is Latin letters, so judge a Windows-1256 guess on the text between the tags.
        between = re.sub(rb"<(script|style)\b.*?</\1\s*>|<[^>]*>", b" ", data, flags=re.S | re.I)
        decode_bytes(between, name)
        return data.decode("cp1256", errors="replace")


def html_text(data: bytes, name: str = "<html>") -> tuple[str, dict]:
    """Visible text of an HTML page (one paragraph per block element) and its metadata."""
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(_decode_html(data, name), "lxml")
    meta = _html_meta(soup)
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    for tag in soup.find_all(lambda t: t.has_attr("hidden") or _hidden_style(t.get("style", ""))):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCK):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" ")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, meta


def _hidden_style(style: str) -> bool:
    style = style.replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _html_meta(soup) -> dict:
    tags: dict[str, str] = {}
    for m in soup.find_all("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        if key and m.get("content") and key not in tags:
            tags[key] = m["content"].strip()
    found = {}
    for field, keys in _META_KEYS.items():
        value = next((tags[k] for k in keys if tags.get(k)), "")
        if value:
            found[field] = value
    if soup.title and soup.title.string and soup.title.string.strip():
        found["title"] = " ".join(soup.title.string.split())  # the page's own title wins over og:
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        found["url"] = canonical["href"].strip()
    if "date" not in found:
        time_tag = soup.find("time", datetime=True)
        if time_tag:
            found["date"] = time_tag["datetime"].strip()
    if "date" in found:
        found["date"] = _short_date(found["date"])
    return found


def _short_date(value: str) -> str:
    m = re.match(r"(\d{4}-\d{2}-\d{2})(?:[T ]|$)", value.strip())
    return m.group(1) if m else value.strip()


# ---------------------------------------------------------------- PDF and DOCX


def pdf_text(path: Path) -> tuple[str, dict]:
    """The text layer of every page, pages separated by a blank line."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(f"{path}: encrypted PDF (remove the password first)")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = str((reader.metadata.title if reader.metadata else None) or "").strip()
    except SourceError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"{path}: unreadable PDF ({type(exc).__name__})") from exc
    # File creation dates are not publication dates: only the title is taken from properties.
    meta = {"title": title} if title else {}
    return "\n\n".join(p for p in pages if p), meta


def docx_text(path: Path) -> tuple[str, dict]:
    """Paragraphs and table rows in document order, one paragraph per block."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as exc:
        raise SourceError(f"{path}: unreadable DOCX ({type(exc).__name__})") from exc
    blocks = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                blocks.append(" | ".join(c for c in cells if c))
        else:
            blocks.append(item.text.strip())
    title = (document.core_properties.title or "").strip()
    return "\n\n".join(b for b in blocks if b), ({"title": title} if title else {})
