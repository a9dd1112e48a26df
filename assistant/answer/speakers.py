"""Who makes a sentence's claim, and when: the attribution in the sentence or before it in its
paragraph, a generic subject resolved from earlier in the article, a headline "X: ..."; else the
outlet itself."""

from __future__ import annotations

import re

from ..chunk import split_sentences
from ..normalize import normalize_arabic
from ..records import Document
from .claims import GENERIC, find_attributions, find_dates, resolve_generic
from .lexicon import fold, tokens

SPEAKER_REACH = 6  # sentences of the same paragraph before the passage searched for its speaker


def speaker_of(doc: Document, spans: list[tuple[int, int]], idx: int, f, toks) -> tuple[str, tuple[int, int]]:
    """The party making the sentence's claim: the nearest named attribution in the sentence, else in
    the earlier sentences of its passage and of its paragraph (at most ``SPEAKER_REACH`` before the
    passage); a reporting verb without a subject ("ولفتت إلى") or a statement ("وأشار البيان")
    continues the last named speaker; else a headline "X: ..." names the speaker of an article that
    reports X's figures; else "" (the outlet speaks for itself)."""
    where = spans[idx]
    para = doc.text.rfind("\n\n", 0, spans[0][0]) + 1
    before = split_sentences(doc.text, para, spans[0][0]) if spans[0][0] > para else []
    back = [*reversed(spans[:idx + 1]), *reversed(before[-SPEAKER_REACH:])]
    for j, (a, b) in enumerate(back):
        pf = f if j == 0 else fold(doc.text[a:b], a)
        found = find_attributions(pf, toks if j == 0 else tokens(pf))
        named = [x for x in found if x.named]
        if named:
            speaker = named[0].speaker if len(named) == 1 else min(named, key=lambda x: abs(x.start - a)).speaker
            return _resolve(speaker, doc, a), (a, b)
        if found:  # said, without saying who: the speaker before goes on
            return _previous_named(doc, a), (a, b)
    return _headline_speaker(doc), where


def _resolve(speaker: str, doc: Document, at: int) -> str:
    last = normalize_arabic(speaker.split(" عن ")[0].split()[-1]) if speaker else ""
    if last in GENERIC:
        return resolve_generic(speaker, doc.text, at, _previous_named(doc, at))
    return speaker


_HEADLINE = re.compile(r"^\s*([^:\n]{2,60}?)\s*:\s*\S")


def _headline_speaker(doc: Document) -> str:
    """"الشرطة: 11 وفاة في حادث الحافلة" -> "الشرطة": a headline that quotes its source."""
    first = doc.source.title or doc.text[:200].split("\n", 1)[0]
    m = _HEADLINE.match(first)
    return m.group(1).strip() if m and len(m.group(1).split()) <= 6 else ""


def _previous_named(doc: Document, before: int) -> str:
    """The last explicitly named, non-generic speaker before ``before`` (for "البيان")."""
    name = ""
    for a, b in doc.spans:
        for s, e in split_sentences(doc.text, a, min(b, before)):
            f = fold(doc.text[s:e], s)
            for att in find_attributions(f, tokens(f)):
                words = att.speaker.split()
                if att.named and words and normalize_arabic(words[-1]) not in GENERIC:
                    name = att.speaker
    return name


def claim_date(doc: Document, sentence: tuple[int, int], said_at: tuple[int, int]) -> str:
    for a, b in (sentence, said_at):
        for x, y in find_dates(fold(doc.text[a:b], a)):
            if not normalize_arabic(doc.text[x:y]).startswith("منذ"):  # a duration, not a date
                return doc.text[x:y]
    return doc.source.date
