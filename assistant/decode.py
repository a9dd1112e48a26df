"""Bytes to text, and text to a Document: decoding, page junk, exact offsets.

Junk (weather widgets, phone numbers, spam links, tweet-embed credits) is never deleted
from ``Document.text``; instead ``Document.spans`` lists the clean regions, so that every
passage is a plain slice of the original text and its citation can be checked.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .errors import SourceError
from .records import Document, Source

CLEANER_VERSION = "clean-1"
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


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


# ---------------------------------------------------------------- documents


def front_matter_end(text: str) -> int:
    """Offset where a Markdown body starts after a leading ``---`` YAML block (0 when there is none)."""
    m = _FRONT_MATTER.match(text)
    return m.end() if m else 0


def front_matter(text: str) -> str | None:
    """The YAML of a leading ``---`` block, or None."""
    m = _FRONT_MATTER.match(text)
    return m.group(1) if m else None


def body_start(path: str, text: str) -> int:
    """Where the indexed text starts: after the front matter of a .md file, else at 0."""
    return front_matter_end(text) if path.lower().endswith(".md") else 0


def make_document(source: Source, text: str) -> Document:
    """A Document with its content hash and clean spans (a .md file's front matter left out).

    Used for every document read from a file and every document reloaded from the index, so the
    two always agree.
    """
    body = body_start(source.path, text)
    spans = tuple((a + body, b + body) for a, b in clean_spans(text[body:]))
    return Document(source=source, text=text, sha256=sha256_text(text), spans=spans)


def relative_path(path: Path, root: Path) -> str:
    """The citation path of a file: relative to the folder it was read from, else its name."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def file_source(path: Path, root: Path, text: str, meta: dict) -> Source:
    """The Source of a one-document file: its id (metadata ``id``, else the relative path without
    suffix), and a title from the metadata or the first clean line of its body."""
    rel = relative_path(path, root)
    doc_id = str(meta.get("id") or Path(rel).with_suffix("").as_posix())
    title = meta.get("title") or first_line(text[body_start(rel, text):], heading=not rel.lower().endswith(".txt"))
    return Source(doc_id=doc_id, path=rel, title=title, outlet=meta.get("outlet", ""),
                  date=meta.get("date", ""), url=meta.get("url", ""))


def first_line(text: str, *, heading: bool = False) -> str:
    """The first non-empty line that is not page junk (with ``heading``, without a leading #)."""
    for line in text.splitlines():
        line = line.strip()
        if line and not _is_junk_line(line):
            return (line.lstrip("#").strip() if heading else line)[:200]
    return ""
