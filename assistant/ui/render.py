"""Safe HTML for corpus text: escaping, query-word highlighting, passages marked in place.

Every piece of corpus or user text goes through :func:`esc` before it meets markup, so a
document containing ``<script>`` shows those characters and runs nothing. The same output is
also safe inside Markdown (the chat view): characters Markdown or LaTeX would act on become
numeric entities.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..normalize import STOPWORDS, analyze, normalize_with_offsets, stem_tokens, tokenize

# HTML's five, plus Markdown/LaTeX/template syntax that must stay literal when the HTML passes
# through a Markdown renderer. One translate pass, so entities are never escaped twice.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
                          **{c: f"&#{ord(c)};" for c in "*_`#[]\\~|$!{}="}})
_WORD = re.compile(r"[^\W_]+")

Span = tuple[int, int]


def esc(text: str) -> str:
    """Escape text for HTML (and for Markdown that allows HTML)."""
    return text.translate(_ESCAPES)


def esc_lines(text: str) -> str:
    """Like :func:`esc`, with line breaks as ``<br>`` so the result is one line (for Markdown)."""
    return "<br>".join(esc(line) for line in text.split("\n"))


@lru_cache(maxsize=256)
def query_terms(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The question's content words, normalised, and their stems (also as BM25 stems them: "سجيناً"
    is "سجين", the tanween alif kept from the stemmer)."""
    words = [t for t in tokenize(question) if t not in STOPWORDS and len(t) > 1]
    return frozenset(words), frozenset(stem_tokens(words)) | frozenset(analyze(question))


def term_spans(text: str, question: str) -> list[Span]:
    """Original-text spans of the words of ``text`` that match a word of ``question``.

    A word matches when its normalised form or its stem equals one from the question, so
    السجن finds السِّجن and بالسجن. Spans cover the whole written word, harakat included.
    """
    words, stems = query_terms(question)
    if not words:
        return []
    norm, origin = normalize_with_offsets(text)
    found = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(norm)]
    if not found:
        return []
    token_stems = stem_tokens([w for _, _, w in found])
    spans = []
    for (a, b, word), stem in zip(found, token_stems, strict=True):
        if word in words or (len(stem) > 1 and stem in stems):
            end = origin[b] if b < len(origin) else len(text)
            spans.append((origin[a], end))
    return spans


def mark(text: str, spans: list[Span], cls: str = "hl", offset: int = 0) -> str:
    """Escape ``text`` and wrap the given spans (absolute offsets, minus ``offset``) in <mark>."""
    out, pos = [], 0
    for a, b in sorted(spans):
        a, b = max(a - offset, pos), min(b - offset, len(text))
        if a >= b:
            continue
        out.append(esc(text[pos:a]))
        out.append(f'<mark class="{cls}">{esc(text[a:b])}</mark>')
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def highlight(text: str, question: str, *, evidence: Span | None = None, offset: int = 0) -> str:
    """``text`` escaped, with the question's words marked, and the ``evidence`` span (document
    offsets; ``text`` starts at ``offset``) marked around them as the place that answers."""
    inner = [(a + offset, b + offset) for a, b in term_spans(text, question)]
    end = offset + len(text)
    if not evidence or not offset <= evidence[0] < evidence[1] <= end or tuple(evidence) == (offset, end):
        return mark(text, inner, offset=offset)
    a, b = evidence
    return (mark(text[:a - offset], inner, offset=offset)
            + f'<mark class="evidence">{mark(text[a - offset:b - offset], inner, offset=a)}</mark>'
            + mark(text[b - offset:], inner, offset=b))


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def document_html(text: str, start: int, end: int, *, question: str = "",
                  span: Span | None = None) -> str:
    """The whole document, escaped, with ``text[start:end]`` marked in place.

    Inside the marked passage, ``span`` (an answer span) and the question's words are marked too.
    """
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    start, end = min(start, end), max(start, end)
    passage = text[start:end]
    inner = term_spans(passage, question) if question else []
    inner = [(a + start, b + start) for a, b in inner]
    if span and start <= span[0] < span[1] <= end and (span[0], span[1]) != (start, end):
        body = (mark(text[start:span[0]], inner, offset=start)
                + f'<mark class="answer-span">{mark(text[span[0]:span[1]], inner, offset=span[0])}</mark>'
                + mark(text[span[1]:end], inner, offset=span[1]))
    else:
        body = mark(passage, inner, offset=start)
    return (f'<div class="doc-text" dir="auto">{esc(text[:start])}'
            f'<mark class="passage">{body}</mark>{esc(text[end:])}</div>')
