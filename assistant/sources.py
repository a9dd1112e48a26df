"""Read source files into Documents: decode, find page junk, keep exact offsets.

Junk (weather widgets, phone numbers, spam links, tweet-embed credits) is never deleted
from ``Document.text``; instead ``Document.spans`` lists the clean regions, so that every
passage is a plain slice of the original text and its citation can be checked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from .records import Document, Source

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md"}
RECORD_SUFFIXES = {".jsonl"}
FORMAT_SUFFIXES = {".html", ".htm", ".pdf", ".docx"}  # read by formats.py
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | RECORD_SUFFIXES | FORMAT_SUFFIXES
METADATA_FILE = "metadata.json"
CLEANER_VERSION = "clean-1"


class SourceError(ValueError):
    """A source file cannot be read; the message names the file."""


# ---------------------------------------------------------------- decoding

_ARABIC_LETTER = re.compile("[\u0621-\u064A]")


def decode_bytes(data: bytes, name: str = "<bytes>") -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 (with or without BOM) or Windows-1256.

    Raises SourceError for binary or undecodable content.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{name}: invalid UTF-8 after a UTF-8 byte order mark") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{name}: invalid UTF-16") from exc
    if b"\x00" in data[:4096]:
        text = _utf16_without_bom(data)
        if text is None:
            raise SourceError(f"{name}: binary file, not text")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{name}: neither UTF-8 nor Windows-1256 text") from exc
    letters = sum(ch.isalpha() for ch in text)
    if len(_CONTROL.findall(text[:4096])) > 0.01 * len(text[:4096]):  # random bytes, not text
        raise SourceError(f"{name}: binary file, not text")
    if letters == 0 or len(_ARABIC_LETTER.findall(text)) < 0.3 * letters:
        raise SourceError(f"{name}: not UTF-8, and not Arabic in Windows-1256")
    return text


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM, or None. In Arabic or Latin text almost every high byte is
    0x00 or 0x06; binary data with zeros fails that or decodes to control characters."""
    if len(data) % 2:
        return None
    sample = data[:8192]
    for encoding, high in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if high.count(0) + high.count(6) < 0.9 * len(high):
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text) and any(ch.isalpha() for ch in text):
            return text
    return None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- page junk

_JUNK_LINE_PATTERNS = [
    re.compile(r"^\s*\S{0,30}\s*-?\d*\s*°\s*[CF]?\s*$"),  # weather widget: "دمشق °C"
    re.compile(r"^\s*\+?[\d\s\-().]{7,}\s*$"),  # a line that is only a phone number
    re.compile(r"^\s*قد\s+يعجبك\s+(?:ايضا|أيضا|أيضاً|ايضاً)\s*:?\s*$"),  # "you may also like"
    re.compile(r"^\s*(?:أخبار|اخبار|مواضيع|مقالات)\s+ذات\s+صلة\s*:?\s*$"),  # "related news"
    re.compile(r"^\s*[—–-]\s+.*\(@\w+\)\s+\w+\s+\d{1,2},\s+\d{4}\s*$"),  # tweet credit line
    re.compile(r"(?i)\b(?:escort|casino|viagra|porn|bahis|betting)\b"),  # spam links
]
# Inline junk: removed from within an otherwise good line (the line is split around it).
_JUNK_INLINE = re.compile(r"(?:\d{1,2}/\d{1,2}/\d{4}\s+)?(?:https?://)?pic\.twitter\.com/\S+")
_SPACE = " \t\r\n\u00a0\u200f\u200e"


def _is_junk_line(line: str) -> bool:
    return any(p.search(line) for p in _JUNK_LINE_PATTERNS)


def clean_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Return the clean regions of ``text`` as (start, end) offsets, junk and edge spaces excluded.

    Consecutive clean lines (blank lines between them too) form one region; junk ends it.
    """
    pieces: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line)
        pos = end
        if not line.strip():
            continue  # a blank line ends a paragraph, not a region
        if _is_junk_line(line):
            pieces.append((-1, -1))  # a break
            continue
        cursor = start
        for m in _JUNK_INLINE.finditer(line):
            pieces.append((cursor, start + m.start()))
            pieces.append((-1, -1))
            cursor = start + m.end()
        pieces.append((cursor, end))
    regions: list[tuple[int, int]] = []
    current: list[int] | None = None
    for a, b in pieces:
        if a < 0:
            if current:
                regions.append((current[0], current[1]))
            current = None
        elif current is None:
            current = [a, b]
        else:
            current[1] = b
    if current:
        regions.append((current[0], current[1]))
    return tuple(_trim(text, a, b) for a, b in regions if text[a:b].strip(_SPACE))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _SPACE:
        start += 1
    while end > start and text[end - 1] in _SPACE:
        end -= 1
    return start, end


# ---------------------------------------------------------------- reading


def load_metadata(folder: Path) -> dict[str, dict]:
    """Sidecar metadata: ``metadata.json`` mapping file name (or doc id) -> {title, outlet, date, url}."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: invalid metadata JSON ({exc})") from exc
    return data.get("documents", data) if isinstance(data, dict) else {}


def make_document(source: Source, text: str) -> Document:
    return Document(source=source, text=text, sha256=sha256_text(text), spans=clean_spans(text))


def read_text_file(path: Path, root: Path, meta: dict | None = None) -> Document:
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    text = decode_bytes(path.read_bytes(), str(path))
    if not text.strip():
        raise SourceError(f"{path}: empty file")
    meta = meta or {}
    doc_id = str(meta.get("id") or Path(rel).with_suffix("").as_posix())
    source = Source(doc_id=doc_id, path=rel, title=meta.get("title") or _first_line(text),
                    outlet=meta.get("outlet", ""), date=meta.get("date", ""), url=meta.get("url", ""))
    return make_document(source, text)


def read_jsonl(path: Path, root: Path) -> Iterator[Document]:
    """Each line ``{"id", "title", "text", ...}`` is one document whose doc_id is its id."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    text = decode_bytes(path.read_bytes(), str(path))
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            doc_id, body = str(rec["id"]), rec["text"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SourceError(f"{path}:{lineno}: expected a JSON object with id and text") from exc
        if not isinstance(body, str) or not body.strip():
            continue
        source = Source(doc_id=doc_id, path=rel, title=str(rec.get("title") or ""),
                        outlet=str(rec.get("outlet") or ""), date=str(rec.get("date") or ""),
                        url=str(rec.get("url") or ""))
        yield make_document(source, body)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not _is_junk_line(line):
            return line[:200]
    return ""


def iter_source_files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith("."):
            yield path


def read_file(path: Path, base: Path, metadata: dict[str, dict]) -> list[Document]:
    """The documents in one file: one per .jsonl record, else one (metadata from the sidecar)."""
    if path.suffix.lower() in RECORD_SUFFIXES:
        return list(read_jsonl(path, base))
    from .formats import read_document  # .md front matter, .html, .pdf, .docx

    rel = path.relative_to(base).as_posix()
    return [read_document(path, base, metadata.get(rel) or metadata.get(path.stem))]


def read_documents(roots: list[Path]) -> list[Document]:
    """Read every supported file under the given files/folders; ids must be unique."""
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for root in roots:
        if not root.exists():
            raise SourceError(f"{root}: no such file or folder")
        base = root if root.is_dir() else root.parent
        metadata = load_metadata(base)
        for path in iter_source_files(root):
            for doc in read_file(path, base, metadata):
                if doc.doc_id in seen:
                    raise SourceError(f"duplicate document id {doc.doc_id!r} in {doc.source.path} "
                                      f"and {seen[doc.doc_id]}")
                seen[doc.doc_id] = doc.source.path
                docs.append(doc)
    if not docs:
        raise SourceError("no documents found (supported: .txt, .md, .html, .pdf, .docx, .jsonl)")
    return docs
