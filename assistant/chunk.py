"""Split documents into passages of a few sentences, each an exact slice of the original."""

from __future__ import annotations

import re

from .config import DEFAULTS
from .records import Document, Passage

CHUNKER_VERSION = "chunk-1"
# What the model reads for a passage (``model_text``): "title-1" puts the document's headline before it.
PASSAGE_INPUT_VERSION = "title-1"

# A sentence ends after . ! ? ؟ ؛ (and closing quotes) followed by space, or at a paragraph break.
_END_PUNCT = re.compile(r"[.!?\u061F\u061B\u06D4]+[\"'”’»)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"\n[ \t\u00a0]*\n\s*")
_LINE = re.compile(r"\n")
_SOFT_BREAK = re.compile(r"[\s\u060C,;:]")  # where an over-long sentence may be cut
_WRAPPED_LINE_MIN = 50  # a longer line without end punctuation is a hard wrap, not a sentence end


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end], trimmed of surrounding white space."""
    cuts = {end}
    region = text[start:end]
    for m in _END_PUNCT.finditer(region):
        cuts.add(start + m.end())
    for m in _PARAGRAPH.finditer(region):
        cuts.add(start + m.start())
    for m in _LINE.finditer(region):
        line_start = region.rfind("\n", 0, m.start()) + 1
        line = region[line_start:m.start()].rstrip()
        if len(line) < _WRAPPED_LINE_MIN:  # headings, short lines: a boundary
            cuts.add(start + m.start())
    spans = []
    prev = start
    for cut in sorted(cuts):
        a, b = _trim(text, prev, cut)
        if b > a:
            spans.append((a, b))
        prev = cut
    return spans


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _split_long(text: str, a: int, b: int, limit: int) -> list[tuple[int, int]]:
    """Cut a span longer than ``limit`` at the last soft break before the limit."""
    out = []
    while b - a > limit:
        window = text[a:a + limit]
        breaks = [m.end() for m in _SOFT_BREAK.finditer(window) if m.end() > limit // 2]
        cut = a + (breaks[-1] if breaks else limit)
        x, y = _trim(text, a, cut)
        if y > x:
            out.append((x, y))
        a, b = _trim(text, cut, b)
    if b > a:
        out.append((a, b))
    return out


def chunk_document(doc: Document, max_chars: int = DEFAULTS.max_passage_chars,
                   overlap: int = DEFAULTS.overlap_sentences) -> list[Passage]:
    """Group consecutive sentences of each clean region into passages of at most ``max_chars``.

    Args:
        doc: the document; only its clean ``spans`` are used.
        max_chars: upper bound on a passage's length in characters.
        overlap: how many sentences each passage repeats from the previous one.
    Returns:
        Passages whose ``text == doc.text[start:end]`` and whose ids depend only on offsets.
    """
    passages: list[Passage] = []
    for r_start, r_end in doc.spans:
        sentences = []
        for a, b in split_sentences(doc.text, r_start, r_end):
            sentences.extend(_split_long(doc.text, a, b, max_chars))
        i = 0
        while i < len(sentences):
            j = i + 1
            while j < len(sentences) and sentences[j][1] - sentences[i][0] <= max_chars:
                j += 1
            start, end = sentences[i][0], sentences[j - 1][1]
            passages.append(Passage(passage_id=f"{doc.doc_id}:{start}-{end}", doc_id=doc.doc_id,
                                    start=start, end=end, text=doc.text[start:end]))
            i = max(j - overlap, i + 1) if j < len(sentences) else j
    return passages


def model_text(text: str, title: str) -> str:
    """What the embedding model reads for a passage: its document's headline on a line before it,
    unless the passage begins with it. A passage deep in an article rarely names the event or whose
    statement it reports; its headline does ("الوزارة: …"). Measured on the dev sets (README
    "Evidence first"): seeds_qa evidence@1 48 -> 49 of 53, pooled MRR@10 0.967 -> 0.968. The vectors
    are keyed by this text, so a changed headline re-embeds its passages."""
    title = title.strip()
    return text if not title or text.startswith(title) else f"{' '.join(title.split())}\n{text}"
