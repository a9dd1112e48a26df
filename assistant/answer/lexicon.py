"""Offset-keeping Arabic folding, word tokens, and the small lexicons answers are matched with.

Answers must point back into the original text, so every match here runs on a folded copy
whose characters map one-to-one back to document offsets. The concept and actor tables are
domain knowledge for conflict reporting (what counts as a death, which names mean the same
party); they are data, extendable without touching the matching code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..normalize import STOPWORDS, normalize_arabic, normalize_with_offsets


@dataclass(frozen=True)
class Token:
    text: str  # folded
    start: int  # offsets into the original text
    end: int
    fstart: int  # offsets into the folded text
    fend: int


@dataclass(frozen=True)
class Folded:
    """A folded (normalised) copy of ``original`` with a map back to original offsets."""

    original: str
    text: str
    index: tuple[int, ...]  # index[i] = original offset of folded char i; one extra at the end
    base: int = 0  # offset of ``original`` inside the document

    def span(self, fa: int, fb: int) -> tuple[int, int]:
        """Folded [fa, fb) -> document offsets."""
        if fb <= fa:
            return self.base + self.index[fa], self.base + self.index[fa]
        return self.base + self.index[fa], self.base + self.index[fb - 1] + 1


def fold(text: str, base: int = 0) -> Folded:
    folded, origin = normalize_with_offsets(text)
    return Folded(text, folded, (*origin, len(text)), base)


_WORD = re.compile(r"[^\W\d_]+|\d+")


def tokens(f: Folded) -> list[Token]:
    """Letter runs and digit runs apart ("مقتل17" is two tokens), with original offsets."""
    out = []
    for m in _WORD.finditer(f.text):
        a, b = f.span(m.start(), m.end())
        out.append(Token(m.group(), a, b, m.start(), m.end()))
    return out


@lru_cache(maxsize=4096)
def variants(word: str) -> tuple[str, ...]:
    """The word with its attached clitics (و ف ب ل ك, the article) peeled off one by one."""
    out = [word]
    if len(word) > 3 and word[0] in "وفبلك":
        out.append(word[1:])
    for v in list(out):
        if v.startswith("لل") and len(v) > 4:
            out += ["ال" + v[2:], v[2:]]
        elif v.startswith("ال") and len(v) > 4:
            out.append(v[2:])
    return tuple(dict.fromkeys(out))


def word_matches(word: str, term: str) -> bool:
    """``term`` is a folded stem matched as a prefix of a variant; ``=term`` must match whole."""
    if term.startswith("="):
        return term[1:] in variants(word)
    return any(v.startswith(term) for v in variants(word))


def _terms(spec: str) -> tuple[str, ...]:
    return tuple(normalize_arabic(t) for t in spec.split())


# What a number counts or an event is about. Stems are prefixes unless written "=word".
CONCEPTS: dict[str, tuple[str, ...]] = {
    "death": _terms("قتل مقتل قتيل =قضوا =قضى مصرع تصفية ضحايا ضحية kill dead death"),
    "injury": _terms("إصابة إصابات =أصيب مصاب جرح جريح =جرحى injur wound"),
    "vehicle": _terms("سيارة سيارات سيارتين =سيارتان شاحنة شاحنات شاحنتين صهريج آلية آليات عربة "
                      "car truck vehicle"),
    "bomb": _terms("مفخخ ملغم ناسف bomb"),
    "prisoner": _terms("سجين سجناء مساجين معتقل أسير أسرى موقوف prisoner inmate detainee"),
    "escape": _terms("هروب =هرب =هربوا =فر =فروا فرار فارين =الفارين =فارون طليق طلقين إطلاق سراح "
                     "تهريب escape fled freed"),
    "arrest": _terms("اعتقال =اعتقل القبض =قبض ضبط arrest captur"),
    "hostage": _terms("رهائن رهينة رهينتين hostage"),
    "surrender": _terms("استسلام استسلم surrender"),
    "airstrike": _terms("غارة غارات غارتين قصف airstrike"),
}
EVENT_CONCEPTS = frozenset({"death", "injury", "escape", "arrest", "hostage", "surrender", "airstrike"})

# Parties to the conflict and the names the sources use for them (multi-word names in order).
ACTORS: dict[str, tuple[tuple[str, ...], ...]] = {
    "قوات سوريا الديمقراطية": tuple(_terms(x) for x in (
        "قسد", "قوات سوريا الديمقراطية", "سوريا الديمقراطية", "الأسايش", "الأمن الداخلي",
        "مكافحة الإرهاب", "حرس السجن", "وحدات حماية الشعب", "sdf")),
    "تنظيم الدولة الإسلامية": tuple(_terms(x) for x in (
        "داعش", "الدولة الإسلامية", "تنظيم الدولة", "دولة الخلافة", "=التنظيم", "دواعش", "الداعشية",
        "isis")),
    "مدنيون": tuple(_terms(x) for x in ("مدني", "مدنيين", "مدنيون", "civilian")),
    "التحالف الدولي": tuple(_terms(x) for x in ("التحالف", "coalition")),
}

# Words that ask rather than say; dropped from a question's content words.
QUESTION_WORDS = frozenset(_terms(
    "كم عدد متى من أين اين لماذا كيف ما ماذا هل هو هي هم الذي التي الذين تم يوجد يبلغ بلغ "
    "how many much when who where why what which is are was were the of in did does do"))


def match_actor(toks: list[Token], i: int) -> tuple[str, int] | None:
    """The actor whose name starts at token ``i``, and the index after it."""
    for actor, names in ACTORS.items():
        for name in names:
            n = len(name)
            if i + n <= len(toks) and all(word_matches(toks[i + j].text, name[j]) for j in range(n)):
                return actor, i + n
    return None


def concepts_of(word: str) -> set[str]:
    return {c for c, terms in CONCEPTS.items() if any(word_matches(word, t) for t in terms)}


def actors_in(toks: list[Token]) -> dict[str, int]:
    """Actor -> token index of its first mention."""
    found: dict[str, int] = {}
    i = 0
    while i < len(toks):
        hit = match_actor(toks, i)
        if hit:
            found.setdefault(hit[0], i)
            i = hit[1]
        else:
            i += 1
    return found


def content_words(toks: list[Token]) -> list[Token]:
    return [t for t in toks if t.text not in STOPWORDS and t.text not in QUESTION_WORDS
            and len(t.text) > 1]


def same_word(a: str, b: str) -> bool:
    """Loose equality of two folded words: equal after peeling clitics, or one a 4+ letter prefix."""
    va, vb = variants(a), variants(b)
    if set(va) & set(vb):
        return True
    return any(len(x) >= 4 and len(y) >= 4 and (x.startswith(y) or y.startswith(x))
               for x in va for y in vb)
